import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { startEngineChild } from '../src/run/engine-child.js';
import { engineDial } from '../src/capacity/dial-engine.js';
import { isPromsoakError } from '../src/common/errors.js';
import { Scheduler } from '../src/engine/scheduler.js';
import type { ScrapeClient, ScrapeCallback } from '../src/engine/client.js';
import type { Ingester } from '../src/engine/ingest/ingester.js';
import type { ScrapeTarget } from '../src/engine/targets.js';
import type { EngineStats } from '../src/protocol/engine.js';

/**
 * capacity's dial for the built-in engine: its targets file rewritten, then `retarget` over IPC;
 * the engine's scrapes per second follow the step without a restart.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('engine child over a 20-exporter fleet: retarget 5 → 20 → 3, scrapes per second follow, the series stay in the head', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-dial-engine-'));
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, outDir: dir });
  const stats: EngineStats[] = [];
  const engine = await startEngineChild({ options: { targetsFile: fleet.fileSd!, intervalSeconds: 1, ingester: 'cached', metricsPort: 0 }, onStats: (s) => stats.push(s), stderr: 'pipe' });
  try {
    assert.equal(engine.ready.targets, 20);
    const dial = engineDial({ groups: fleet.targetGroups(), fileSd: fleet.fileSd!, engine });
    assert.equal(dial.maxExporters, 20);
    /** Scrapes done per second over `seconds`, from the engine's own stats. */
    const rate = async (seconds: number): Promise<number> => {
      const a = stats.at(-1)!;
      await sleep(seconds * 1000);
      const b = stats.at(-1)!;
      return ((b.scrapesOk + b.scrapesFailed) - (a.scrapesOk + a.scrapesFailed)) / ((b.timeMs - a.timeMs) / 1000);
    };
    let seriesAt20 = 0;
    for (const n of [5, 20, 3]) {
      await dial.set(n);
      assert.equal(dial.offered, n);
      // Every target's first scrape comes within one interval (its phase): then measure.
      await sleep(1500);
      const r = await rate(4);
      assert.ok(Math.abs(r - n) <= Math.max(1, 0.15 * n), `${r.toFixed(2)} scrapes/s with ${n} targets offered`);
      const targets = await engine.targets();
      assert.deepEqual(targets.map((t) => t.labels.exporter).sort((x, y) => Number(x) - Number(y)), Array.from({ length: n }, (_, i) => String(i)));
      assert.ok(targets.every((t) => t.health === 'up'), JSON.stringify(targets.filter((t) => t.health !== 'up')));
      assert.equal(stats.at(-1)!.targets, n);
      if (n === 20) seriesAt20 = stats.at(-1)!.series;
    }
    // The engine's /metrics lists the 3 targets left, not the 17 removed.
    const text = await (await fetch(engine.ready.metricsUrl!)).text();
    assert.equal(text.split('\n').filter((l) => l.startsWith('promsoak_engine_target_up{')).length, 3);
    assert.match(text, /promsoak_engine_targets\{health="up"\} 3\n/);
    // The 17 targets dropped keep their series in the head (Prometheus keeps them until stale).
    assert.ok(stats.at(-1)!.series >= seriesAt20, `series ${stats.at(-1)!.series} after the step down, ${seriesAt20} at 20`);
    assert.equal(stats.at(-1)!.scrapesFailed, 0);

    // A targets file that is not file_sd: the step is refused with the file's reason, the engine scrapes on as it was.
    writeFileSync(fleet.fileSd!, '{ not json');
    await assert.rejects(engine.retarget(), (e: unknown) => isPromsoakError(e) && e.code === 'PROMSOAK_TARGETS_INVALID' && e.message.includes('file_sd.json'));
    assert.equal((await engine.targets()).length, 3);
    const r = await rate(3);
    assert.ok(Math.abs(r - 3) <= 1, `${r} scrapes/s after a refused retarget`);
  } finally {
    await engine.stop();
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A client that answers every scrape at once (on the next turn) and counts them per target. */
function countingClient(counts: Map<string, number>): ScrapeClient {
  return {
    scrape(t: ScrapeTarget, _timeout: number, done: ScrapeCallback, i: number): void {
      counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
      setImmediate(() => done(null, new Uint8Array(1), 'text/plain', i));
    },
  } as unknown as ScrapeClient;
}
const oneSample = { ingest: () => 1 } as unknown as Ingester;
const target = (k: number): ScrapeTarget => ({ id: `http://127.0.0.1:1/exporters/${k}/metrics`, origin: 'http://127.0.0.1:1', path: `/exporters/${k}/metrics`, labels: { exporter: String(k) } });

test('scheduler retarget: removed loops stop, a loop removed and added back before its tick is scraped once per interval (not queued twice), new loops grow the columns', async () => {
  const counts = new Map<string, number>();
  const all = Array.from({ length: 6 }, (_, k) => target(k));
  const s = new Scheduler(all.slice(0, 4), countingClient(counts), oneSample, { intervalMs: 100, timeoutMs: 100 });
  s.start();
  try {
    await sleep(250);
    // 2 and 3 leave and come straight back (still queued: Leaving → On); 0 leaves; 4 and 5 are new.
    assert.equal(s.retarget([all[1]!]), 1);
    assert.equal(s.retarget(all.slice(1)), 5);
    assert.equal(s.targetCount, 5);
    assert.deepEqual(s.statuses().map((t) => t.labels.exporter), ['1', '2', '3', '4', '5']);
    counts.clear();
    await sleep(1000);
    assert.equal(counts.get(all[0]!.id) ?? 0, 0, 'a removed target is not scraped');
    for (const t of all.slice(1)) {
      const c = counts.get(t.id) ?? 0;
      // 1 s at 100 ms: 10 scrapes (a slow shared CPU may skip some; twice-queued would be ~20).
      assert.ok(c >= 6 && c <= 11, `${t.id}: ${c} scrapes in 1 s at a 100 ms interval`);
    }
    assert.equal(s.counters.scrapesFailed, 0);
    assert.equal(s.retarget([]), 0);
    counts.clear();
    await sleep(300);
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0), 0, 'no target, no scrape');
  } finally {
    await s.stop();
  }
});
