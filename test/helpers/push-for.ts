import assert from 'node:assert/strict';
import { loadProfile } from '../../src/profile/load.js';
import { startFleet } from '../../src/fleet/fleet.js';
import { pushOptions, type PushOptions } from '../../src/push/push-options.js';
import type { PushStats } from '../../src/protocol/push-stats.js';
import { startReceiver, type Behaviour } from './rw-receiver.js';

/** The smoke profile (20 exporters every 1 s, churn every 5 s) pushed to a test receiver for `seconds`. */
export async function pushFor(seconds: number, behaviour: Behaviour, extra: Partial<PushOptions> = {}) {
  const rx = await startReceiver(behaviour);
  const push = { ...pushOptions({ push: 'remote-write', pushUrl: rx.url, batch: 100, senders: 2 }), ...extra };
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, push });
  try {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } finally {
    await fleet.close();
    await rx.close();
  }
  return { stats: fleet.push!.stats(), rx, series: fleet.seriesPerExporter };
}

/** Every generated sample ends somewhere once the fleet is closed. */
export function assertConserved(s: PushStats): void {
  const t = s.totals;
  assert.equal(t.backlog, 0, 'backlog after close');
  assert.equal(t.generated, t.acknowledged + t.rejected + t.droppedBacklog + t.droppedAtStop, JSON.stringify(t));
}
