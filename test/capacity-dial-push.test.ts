import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { pushOptions } from '../src/push/push-options.js';
import { pushDial } from '../src/capacity/dial-push.js';
import { isPromsoakError } from '../src/common/errors.js';
import { startReceiver } from './helpers/rw-receiver.js';

/**
 * capacity's dial for a pushing fleet: each serving thread generates only the exporters with
 * id < n; what a remote-write receiver gets follows the step.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('pushDial: samples/s received follow 5 → 20 → 3 exporters (set before the push starts, then while it runs), only ids below n', { timeout: 90_000 }, async () => {
  const rx = await startReceiver(() => ({ status: 204 }));
  // Two serving threads: the offer must reach each of them.
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 2 });
  try {
    const dial = pushDial(fleet);
    assert.equal(dial.maxExporters, 20);
    await dial.set(5);
    fleet.startPush(pushOptions({ push: 'remote-write', pushUrl: rx.url, batch: 500, senders: 2 }));
    const perExporter = fleet.seriesPerExporter; // samples a second per exporter: the smoke profile is every 1 s
    for (const n of [5, 20, 3]) {
      if (n !== 5) await dial.set(n);
      assert.equal(dial.offered, n);
      // Samples stamped in a 3 s window from 1.5 s after the step (every exporter at its phase
      // three times), counted once they have all arrived.
      const from = Date.now() + 1500;
      const to = from + 3000;
      await sleep(to - Date.now() + 2500);
      const inWindow = rx.requests.flatMap((r) => r.samples).filter((s) => !s.stale && s.ts >= from && s.ts < to);
      const exporters = new Set(inWindow.map((s) => Number(s.labels.find(([k]) => k === 'exporter')?.[1])));
      assert.deepEqual([...exporters].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), `exporters pushed with ${n} offered`);
      const perSecond = inWindow.length / 3;
      assert.equal(perSecond, n * perExporter, `${perSecond} samples/s received with ${n} exporters offered (${fleet.seriesPerExporter} series each, every 1 s)`);
    }
    await assert.rejects(dial.set(21), (e: unknown) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE');
    assert.equal(dial.offered, 3);
  } finally {
    await fleet.close();
    await rx.close();
  }
  // Nothing generated was lost on the way: the switched-off exporters were never generated, not dropped.
  const t = fleet.push!.stats().totals;
  assert.equal(t.generated, t.acknowledged + t.rejected + t.droppedBacklog + t.droppedAtStop, JSON.stringify(t));
  assert.equal(t.droppedBacklog + t.rejected, 0);
});
