import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadProfile } from '../src/profile/load.js';
import { startFleet, type Fleet } from '../src/fleet/fleet.js';
import { sdDial } from '../src/capacity/dial-sd.js';
import { offeredSamplesPerSecond } from '../src/capacity/dial.js';
import { isPromsoakError } from '../src/common/errors.js';
import { planTargetLaunch, scrapeConfig, type LaunchContext } from '../src/run/target-kinds.js';
import { serveSd } from '../src/run/sd-server.js';
import type { TargetGroup } from '../src/fleet/sd.js';
import { which } from './helpers/tools.js';

/**
 * capacity's file_sd / http_sd dial: the first n targets of the fleet's list, rewritten while
 * the scraper runs, and Debian's Prometheus and VictoriaMetrics following it without a restart.
 */

const ids = (groups: TargetGroup[]): number[] => groups.map((g) => Number(g.labels.exporter));
const readSd = (path: string): TargetGroup[] => JSON.parse(readFileSync(path, 'utf8')) as TargetGroup[];

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url, { headersTimeout: 3000, bodyTimeout: 3000 });
  return (await res.body.json()) as T;
}

async function withFleet(exporters: number, fn: (fleet: Fleet, out: string) => Promise<void>): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-dial-sd-'));
  const fleet = await startFleet({ profile: { ...loadProfile('smoke'), exporters }, threads: 1, outDir: out });
  try {
    await fn(fleet, out);
  } finally {
    await fleet.close();
    rmSync(out, { recursive: true, force: true });
  }
}

test('sdDial: file_sd holds the first n targets of the full list, written whole (no temporary file left); http_sd serves the same', async () => {
  await withFleet(40, async (fleet, out) => {
    const dial = sdDial({ groups: fleet.targetGroups(), fileSd: fleet.fileSd!, httpSd: fleet.serveTargets });
    assert.equal(dial.maxExporters, 40);
    assert.equal(dial.offered, 40);
    for (const n of [10, 40, 5, 0]) {
      await dial.set(n);
      assert.equal(dial.offered, n);
      assert.deepEqual(ids(readSd(fleet.fileSd!)), Array.from({ length: n }, (_, i) => i), `file_sd after set(${n})`);
      assert.deepEqual(ids(await getJson<TargetGroup[]>(fleet.httpSd)), Array.from({ length: n }, (_, i) => i), `/sd after set(${n})`);
      assert.deepEqual(readdirSync(out).filter((f) => f.includes('file_sd')), ['file_sd.json']);
    }
    // Growing again gives back the same targets, each on the port it had (the full list is kept).
    await dial.set(12);
    assert.deepEqual(readSd(fleet.fileSd!), fleet.targetGroups().slice(0, 12));
  });
});

test('sdDial: a step outside 0..maxExporters is one PROMSOAK_USAGE line and leaves file_sd as it was', async () => {
  await withFleet(20, async (fleet) => {
    const dial = sdDial({ groups: fleet.targetGroups(), fileSd: fleet.fileSd! });
    await dial.set(7);
    for (const n of [21, -1, 2.5, Number.NaN]) {
      await assert.rejects(dial.set(n), (e: unknown) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE' && /0 to 20/.test(e.message));
    }
    assert.equal(dial.offered, 7);
    assert.equal(readSd(fleet.fileSd!).length, 7);
  });
});

test('run/sd-server.ts (--fleet shards\' merged http_sd) serves what the dial sets', async () => {
  const groups: TargetGroup[] = Array.from({ length: 30 }, (_, i) => ({ targets: [`127.0.0.1:${9000 + (i % 3)}`], labels: { exporter: String(i) } }));
  const sd = await serveSd(groups);
  try {
    const dial = sdDial({ groups, httpSd: sd.set });
    await dial.set(4);
    assert.deepEqual(ids(await getJson<TargetGroup[]>(sd.url)), [0, 1, 2, 3]);
    await dial.set(30);
    assert.equal((await getJson<TargetGroup[]>(sd.url)).length, 30);
  } finally {
    await sd.close();
  }
});

test('offeredSamplesPerSecond: n × (series per exporter + the scraper\'s own per scrape) ÷ interval', () => {
  assert.equal(offeredSamplesPerSecond(40, { seriesPerExporter: 200, intervalSeconds: 2 }), 4000);
  assert.equal(offeredSamplesPerSecond(10, { seriesPerExporter: 200, intervalSeconds: 1, syntheticPerScrape: 5 }), 2050);
  assert.equal(offeredSamplesPerSecond(0, { seriesPerExporter: 200, intervalSeconds: 1, syntheticPerScrape: 5 }), 0);
});

test('a ramp\'s scraper config: VictoriaMetrics re-reads file_sd every sdCheckSeconds; a plain soak does not; the YAML stays what both programs parse', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-dial-cfg-'));
  try {
    const ctx: LaunchContext = { dir, fileSd: join(dir, 'file_sd.json'), httpSd: 'http://127.0.0.1:1/sd', intervalSeconds: 1, timeoutSeconds: 1 };
    const plain = await planTargetLaunch({ kind: 'victoria-metrics', binary: 'victoria-metrics' }, ctx);
    assert.ok(!plain.argv!.some((a) => a.includes('fileSDCheckInterval')), plain.argv!.join(' '));
    assert.doesNotMatch(scrapeConfig(ctx), /refresh_interval/);
    const ramp = await planTargetLaunch({ kind: 'victoria-metrics', binary: 'victoria-metrics' }, { ...ctx, sdCheckSeconds: 1 });
    assert.ok(ramp.argv!.includes('-promscrape.fileSDCheckInterval=1s'), ramp.argv!.join(' '));
    // VictoriaMetrics refuses a refresh_interval in file_sd_configs (strict parsing): the config stays one for both.
    assert.doesNotMatch(scrapeConfig({ ...ctx, sdCheckSeconds: 1 } as LaunchContext), /refresh_interval/);
    const prom = await planTargetLaunch({ kind: 'prometheus', binary: 'prometheus' }, { ...ctx, sdCheckSeconds: 1 });
    assert.ok(!prom.argv!.some((a) => /SDCheck/i.test(a)), prom.argv!.join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts the program planTargetLaunch planned (its stderr's tail kept for a failure's message); stopped with SIGTERM (then SIGKILL) at the end. */
function launch(argv: string[]): ChildProcess & { log: () => string } {
  const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  p.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-1500)));
  return Object.assign(p, { log: () => tail });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const killer = setTimeout(() => p.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(killer);
}

/** Polls `count()` until it equals `want`; returns the ms it took, or null past `ms`. */
async function follows(count: () => Promise<number | null>, want: number, ms: number): Promise<{ ms: number | null; last: number | null }> {
  const t0 = Date.now();
  let last: number | null = null;
  while (Date.now() - t0 < ms) {
    try {
      last = await count();
    } catch {
      last = null;
    }
    if (last === want) return { ms: Date.now() - t0, last };
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ms: null, last };
}

interface TargetsAnswer {
  data: { activeTargets: { labels: Record<string, string>; health: string }[] };
}

/** The ramp 10 → 40 → 5 against a launched scraper; each step must show as its active targets within `withinMs`. */
async function ramp(t: { diagnostic(m: string): void }, kind: 'prometheus' | 'victoria-metrics', withinMs: number): Promise<void> {
  await withFleet(40, async (fleet, out) => {
    const dial = sdDial({ groups: fleet.targetGroups(), fileSd: fleet.fileSd! });
    await dial.set(10);
    const plan = await planTargetLaunch({ kind, binary: kind }, { dir: out, fileSd: fleet.fileSd!, httpSd: fleet.httpSd, intervalSeconds: 1, timeoutSeconds: 1, sdCheckSeconds: 1 });
    const api = plan.metricsUrl.replace(/\/metrics$/, '/api/v1/targets');
    const p = launch(plan.argv!);
    try {
      const active = async (): Promise<number | null> => (await getJson<TargetsAnswer>(api)).data.activeTargets.filter((x) => x.health === 'up').length;
      const first = await follows(active, 10, 60_000);
      assert.notEqual(first.ms, null, `${kind} never showed the first 10 targets up (last: ${first.last}); its stderr: ${p.log()}`);
      for (const n of [40, 5]) {
        await dial.set(n);
        const r = await follows(active, n, withinMs);
        t.diagnostic(`${kind}: ${n} targets up ${r.ms} ms after the dial moved`);
        assert.notEqual(r.ms, null, `${kind}: ${r.last} targets up ${withinMs} ms after the dial set ${n}`);
      }
      // The fleet saw scrapes of the 40 only while they were offered: the process was never restarted.
      assert.equal(p.exitCode, null, `${kind} exited`);
    } finally {
      await stop(p);
    }
  });
}

// Prometheus hands discovered targets on at most every 5 s (its discovery manager), and its scrape
// manager reloads at most every 5 s: up to ~10 s from the rename, whatever promsoak does.
test('Debian\'s Prometheus follows the dial 10 → 40 → 5 targets without a restart', { timeout: 120_000 }, async (t) => {
  if (!which('prometheus')) return t.skip('Debian prometheus not installed (apt-get install prometheus)');
  await ramp(t, 'prometheus', 15_000);
});

test('VictoriaMetrics follows the dial 10 → 40 → 5 targets without a restart (-promscrape.fileSDCheckInterval=1s)', { timeout: 120_000 }, async (t) => {
  if (!which('victoria-metrics')) return t.skip('Debian victoria-metrics not installed (apt-get install victoria-metrics)');
  await ramp(t, 'victoria-metrics', 8_000);
});
