import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { startEngineChild } from '../src/run/engine-child.js';
import type { EngineStats, TargetStatus } from '../src/protocol/engine.js';
import type { TargetGroup } from '../src/fleet/sd.js';
import { spawnSync } from 'node:child_process';
import { which } from './helpers/tools.js';

/**
 * End to end: the smoke fleet (20 exporters × 33 series) plus one target of our own that
 * serves a malformed body, scraped every second for ~4 s by the engine as a child process.
 */
describe('engine child against the smoke fleet', () => {
  let dir: string;
  let fleet: Fleet;
  let bad: Server;
  let badTarget: string;
  const frames: EngineStats[] = [];
  let final: { stats: EngineStats; targets: TargetStatus[] } | undefined;
  let midway: TargetStatus[] = [];
  let metricsText = '';
  let midStats: EngineStats | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promsoak-engine-'));
    fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, outDir: dir });
    bad = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('# TYPE good_metric gauge\ngood_metric 1\nbad_metric{a="x"} not_a_number\n');
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    const badPort = (bad.address() as { port: number }).port;
    badTarget = `http://127.0.0.1:${badPort}/metrics`;
    const groups = JSON.parse(readFileSync(fleet.fileSd!, 'utf8')) as TargetGroup[];
    groups.push({ targets: [`127.0.0.1:${badPort}`], labels: { instance: 'malformed' } });
    const targetsFile = join(dir, 'targets.json');
    writeFileSync(targetsFile, JSON.stringify(groups));

    const engine = await startEngineChild({
      options: { targetsFile, intervalSeconds: 1, ingester: 'cached', metricsPort: 0 },
      onStats: (s) => frames.push(s),
    });
    await new Promise((r) => setTimeout(r, 4000));
    midway = await engine.targets();
    metricsText = await (await fetch(engine.ready.metricsUrl!)).text();
    midStats = frames.at(-1);
    final = await engine.stop();
    const exit = await engine.exited;
    assert.equal(exit.code, 0, 'the engine exits cleanly on stop');
  });

  after(async () => {
    await fleet?.close();
    await new Promise<void>((r) => (bad ? bad.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes every fleet target, up, with 33 samples per scrape', () => {
    assert.ok(final, 'a stopped message');
    const fleetTargets = final.targets.filter((t) => t.target !== badTarget);
    assert.equal(fleetTargets.length, 20);
    for (const t of fleetTargets) {
      assert.equal(t.health, 'up', `${t.target}: ${t.lastError}`);
      assert.equal(t.lastSamples, 33);
      assert.ok(t.scrapesOk >= 3, `${t.target} scraped ${t.scrapesOk} times in ~4 s at 1 s`);
    }
    const s = final.stats;
    assert.equal(s.targets, 21);
    assert.equal(s.targetsUp, 20);
    assert.equal(s.samples, s.scrapesOk * 33);
    assert.ok(s.scrapesOk >= 60 && s.scrapesOk <= 5 * 20, `${s.scrapesOk} ok scrapes`);
    assert.ok(s.series >= 20 * 33, `${s.series} series in the head`);
    assert.ok(frames.length >= 2, `${frames.length} stats frames over IPC`);
    assert.ok(frames.at(-1)!.cpuUserMicros > 0);
  });

  it('serves its own /metrics: Prometheus names, counters and histograms that agree with its stats', () => {
    const value = (line: string): number => {
      const m = metricsText.match(new RegExp(`^${line.replace(/[{}"+]/g, (c) => `\\${c}`)} (\\S+)$`, 'm'));
      assert.ok(m, `${line} in /metrics:\n${metricsText}`);
      return Number(m[1]);
    };
    const ok = value('promsoak_engine_scrapes_total{result="ok"}');
    const failed = value('promsoak_engine_scrapes_total{result="failed"}');
    assert.ok(ok >= 40 && failed >= 2, `ok ${ok}, failed ${failed}`);
    // Read between two stats frames: within one second's scrapes of them.
    assert.ok(midStats && Math.abs(ok - midStats.scrapesOk) <= 25, `ok ${ok} vs stats ${midStats?.scrapesOk}`);
    assert.equal(value('promsoak_engine_samples_ingested_total'), ok * 33);
    assert.equal(value('promsoak_engine_scrape_duration_seconds_count'), ok + failed);
    assert.equal(value('promsoak_engine_scrape_duration_seconds_bucket{le="+Inf"}'), ok + failed);
    assert.equal(value('promsoak_engine_ingest_duration_seconds_count'), ok);
    assert.ok(value('promsoak_engine_ingest_duration_seconds_sum') > 0);
    assert.ok(value('promsoak_engine_scrape_duration_seconds_bucket{le="10"}') <= ok + failed);
    assert.equal(value('promsoak_engine_targets{health="up"}'), 20);
    assert.equal(value('promsoak_engine_targets{health="down"}'), 1);
    assert.ok(value('promsoak_engine_head_series') >= 20 * 33);
  });

  const promtool = which('promtool');
  it('its /metrics passes promtool check metrics', { skip: promtool ? false : 'promtool not installed (apt-get install prometheus)' }, () => {
    const r = spawnSync(promtool!, ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('marks only the malformed target down, with line and column in its error', () => {
    for (const list of [midway, final!.targets]) {
      const t = list.find((x) => x.target === badTarget)!;
      assert.ok(t, 'the malformed target is listed');
      assert.equal(t.health, 'down');
      assert.ok(t.scrapesFailed >= 3);
      assert.equal(t.scrapesOk, 0);
      assert.match(t.lastError, /line 3 column \d+/);
    }
    assert.equal(final!.stats.scrapesFailed, final!.targets.find((x) => x.target === badTarget)!.scrapesFailed);
  });
});
