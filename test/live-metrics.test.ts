import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { summarize } from '../src/analysis/summarize.js';
import { isPromsoakError } from '../src/common/errors.js';
import type { LiveFrame } from '../src/run/live-frame.js';
import { startLiveMetrics } from '../src/run/live-metrics.js';
import { SoakMetrics } from '../src/run/soak-metrics.js';
import { planSoak } from '../src/run/soak-plan.js';
import { readNdjson } from '../src/run/run-dir.js';
import { samplesOf } from './helpers/exposition.js';
import { frame, gc, meta } from './helpers/frames.js';
import { CLI, which } from './helpers/tools.js';

const promtool = which('promtool');

function promtoolCheck(body: string): string {
  const r = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  return r.status === 0 && r.stdout + r.stderr === '' ? '' : `exit ${r.status}: ${r.stdout}${r.stderr}`;
}

test('soak metrics: counters add what was measured, gauges hold the last second, starvation judged as the summary judges it', async () => {
  const m = new SoakMetrics({ profile: 'synthetic', ingester: 'cached', target: 'engine' });
  // 2 warm-up seconds, then 10 measured: seconds 6 and 10 ingest half.
  const frames = Array.from({ length: 12 }, (_, i) => frame(i, i === 7 || i === 11 ? 5000 : 10000, i === 4 ? { scrapesFailed: 3, scrapesFailedByReason: { timeout: 2, parse: 1 } } : {}));
  const events = [gc(3, 'scavenge', 1.5, 4e6, 2), gc(5, 'scavenge', 0.5, 4e6), gc(7, 'mark-compact', 12, 8e6, 30)];
  for (const f of frames) m.onFrame(f);
  for (const e of events) m.onGc(e);
  const s = samplesOf(await m.registry.metrics());
  const sum = (get: (f: Frame) => number): number => frames.reduce((a, f) => a + get(f), 0);
  assert.equal(s.get('promsoak_soak_frames_total'), 12);
  assert.equal(s.get('promsoak_soak_samples_total'), sum((f) => f.samples));
  assert.equal(s.get('promsoak_soak_scrapes_total{result="ok"}'), 120);
  assert.equal(s.get('promsoak_soak_scrapes_total{result="failed"}'), 3);
  assert.equal(s.get('promsoak_soak_scrapes_failed_total{reason="timeout"}'), 2);
  assert.equal(s.get('promsoak_soak_scrapes_failed_total{reason="parse"}'), 1);
  assert.ok(Math.abs(s.get('promsoak_soak_thread_cpu_seconds_total{thread="v8-platform"}')! - 12 * 0.1) < 1e-9);
  assert.equal(s.get('promsoak_soak_thread_cpu_cores{thread="main"}'), 0.4);
  assert.ok(Math.abs(s.get('promsoak_soak_cpu_seconds_total{mode="user"}')! - 12 * 0.4) < 1e-9);
  assert.equal(s.get('promsoak_soak_gc_total{kind="scavenge"}'), 2);
  assert.equal(s.get('promsoak_soak_gc_total{kind="mark-compact"}'), 1);
  assert.equal(s.get('promsoak_soak_gc_pause_seconds_total{kind="scavenge"}'), 0.0015 + 0.0005);
  assert.equal(s.get('promsoak_soak_gc_background_seconds_total{kind="mark-compact"}'), 0.03);
  assert.equal(s.get('promsoak_soak_gc_allocated_bytes_total'), 16e6);
  assert.equal(s.get('promsoak_soak_samples_per_second'), 5000);
  assert.equal(s.get('promsoak_soak_rss_bytes'), 100e6 + 11);
  assert.equal(s.get('promsoak_soak_event_loop_delay_p99_seconds'), 0.005);
  assert.equal(s.get('promsoak_soak_fleet_render_queue_depth'), 0, 'measured 0 is 0');
  assert.equal(s.get('promsoak_soak_warmup'), 0);
  assert.equal(s.get('promsoak_soak_samples_to_median_ratio'), 0.5);
  assert.equal(s.get('promsoak_soak_starved'), 1);
  assert.equal(s.get('promsoak_soak_info{profile="synthetic",ingester="cached",target="engine"}'), 1);
  // The summary, with the whole window's median, finds the same two seconds.
  assert.equal(summarize(frames, events, meta).starvation.seconds.length, 2);
  assert.equal(s.get('promsoak_soak_starved_seconds_total'), 2);
  if (promtool) assert.equal(promtoolCheck(await m.registry.metrics()), '');
});

test('soak metrics: a value the frame does not carry (null, absent) is never 0: the counter is not incremented, the gauge is absent', async () => {
  const m = new SoakMetrics();
  assert.deepEqual([...samplesOf(await m.registry.metrics()).keys()], ['promsoak_soak_info'], 'nothing measured yet: no sample but the info');
  m.onFrame(frame(2, 1000));
  // The frame of a target that exposes neither its heap, its threads nor its sample count.
  const blind: LiveFrame = { ...frame(3, 0), samples: null, heap: { ...frame(3, 0).heap, rssBytes: null, usedBytes: undefined }, cpu: { total: 0.5, user: 0.4, system: 0.1, main: null, v8Platform: null, worker: null, other: null }, eventLoop: null };
  m.onFrame(blind);
  const s = samplesOf(await m.registry.metrics());
  assert.equal(s.get('promsoak_soak_frames_total'), 2);
  assert.equal(s.get('promsoak_soak_samples_total'), 1000, 'the null second adds nothing');
  assert.equal(s.has('promsoak_soak_samples_per_second'), false);
  assert.equal(s.has('promsoak_soak_rss_bytes'), false);
  assert.equal(s.has('promsoak_soak_heap_used_bytes'), false);
  assert.equal(s.get('promsoak_soak_heap_total_bytes'), 40e6);
  assert.equal(s.has('promsoak_soak_thread_cpu_cores{thread="main"}'), false);
  assert.equal(s.get('promsoak_soak_thread_cpu_seconds_total{thread="main"}'), 0.4, 'only the measured second counted');
  assert.equal(s.get('promsoak_soak_cpu_cores{mode="user"}'), 0.4);
  assert.equal(s.has('promsoak_soak_event_loop_delay_p99_seconds'), false);
  assert.equal(s.has('promsoak_soak_samples_to_median_ratio'), false);
  assert.equal(s.has('promsoak_soak_starved'), false, 'no rate, no stalled loop: not known');
  // A target that never exposes a value: its counter never appears, not even at 0.
  const never = new SoakMetrics();
  never.onFrame(blind);
  never.onFrame({ ...blind, t: 5 });
  const n = samplesOf(await never.registry.metrics());
  assert.equal(n.get('promsoak_soak_frames_total'), 2);
  for (const k of ['promsoak_soak_samples_total', 'promsoak_soak_thread_cpu_seconds_total{thread="main"}', 'promsoak_soak_thread_cpu_cores{thread="main"}']) assert.equal(n.has(k), false, k);
});

test('live metrics server: /metrics only, port 0 gives a real port, a port in use is a usage error, close() does not wait for a kept-alive scraper', async (t) => {
  const live = await startLiveMetrics({ port: 0 });
  t.after(() => live.close());
  assert.match(live.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.doesNotMatch(live.url, /:0\//);
  live.onFrame(frame(3, 777));
  const r = await fetch(live.url);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(await r.text(), /^promsoak_soak_samples_total 777$/m);
  assert.equal((await fetch(live.url.replace('/metrics', '/'))).status, 404);
  assert.equal((await fetch(live.url.replace('/metrics', '/metricsx'))).status, 404);
  const port = Number(new URL(live.url).port);
  await assert.rejects(startLiveMetrics({ port }), (e) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE' && e.exitCode === 2 && /--metrics-port \d+ on 127\.0\.0\.1 is already in use/.test(e.message));
  // fetch keeps its connection alive, as a Prometheus does: close() must not wait for it.
  const closed = await Promise.race([live.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 3000))]);
  assert.equal(closed, 'closed');
});

test('--metrics-port is checked with the other options: 0..65535', () => {
  for (const bad of [-1, 65536, 1.5, NaN]) {
    assert.throws(() => planSoak({ profile: 'smoke', metricsPort: bad }), (e) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE' && /--metrics-port must be an integer in 0\.\.65535/.test(e.message));
  }
  assert.doesNotThrow(() => planSoak({ profile: 'smoke', metricsPort: 0 }));
});

test('promsoak run --metrics-port: a port in use is one line and exit 2 before the soak starts', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const port = (busy.address() as AddressInfo).port;
  const out = mkdtempSync(join(tmpdir(), 'promsoak-live-'));
  const r = spawnSync(process.execPath, [CLI, 'run', 'smoke', '--duration', '2', '--warmup', '0', '--metrics-port', String(port), '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`--metrics-port ${port} on 127\\.0\\.0\\.1 is already in use`));
  const dir = join(out, readdirSync(out)[0]!);
  assert.equal(readFileSync(join(dir, 'frames.ndjson'), 'utf8'), '', 'no second was recorded');
});

test('promsoak run --metrics-port 0: scraped during the soak, every body passes promtool and equals the frames and GC events on disk at that scrape', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-live-'));
  const child = spawn(process.execPath, [CLI, 'run', 'smoke', '--duration', '6', '--warmup', '2', '--metrics-port', '0', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let url: string | undefined;
  const bodies: string[] = [];
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    url ??= /live metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1];
    if (url) {
      try {
        const r = await fetch(url);
        if (r.status === 200) bodies.push(await r.text());
      } catch {
        // Closed at the soak's end.
      }
    }
    await new Promise((r) => setTimeout(r, 700));
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(stderr.match(/live metrics: /g)?.length, 1, 'the URL is printed once');
  const dir = join(out, readdirSync(out)[0]!);
  assert.ok(existsSync(join(dir, 'summary.json')));
  const frames = readNdjson<Frame>(join(dir, 'frames.ndjson'));
  const gcs = readNdjson<TimedGcEvent>(join(dir, 'gc.ndjson'));
  assert.ok(frames.length >= 5, `${frames.length} frames`);
  let covered = 0;
  for (const body of bodies) {
    if (promtool) assert.equal(promtoolCheck(body), '', body);
    const s = samplesOf(body);
    // The body says how many frames it has seen: the counters equal those frames on disk exactly.
    const n = s.get('promsoak_soak_frames_total') ?? 0;
    if (n === 0) continue;
    covered = Math.max(covered, n);
    const seen = frames.slice(0, n);
    assert.equal(s.get('promsoak_soak_samples_total'), seen.reduce((a, f) => a + f.samples, 0), `after ${n} frames`);
    assert.equal(s.get('promsoak_soak_scrapes_total{result="ok"}'), seen.reduce((a, f) => a + f.scrapesOk!, 0));
    const last = seen.at(-1)!;
    assert.equal(s.get('promsoak_soak_samples_per_second'), last.samples / ((last.endMs - last.startMs) / 1000));
    assert.equal(s.get('promsoak_soak_heap_used_bytes'), last.heap.usedBytes);
    assert.equal(s.get('promsoak_soak_warmup'), last.warmup ? 1 : 0);
    // And the GC counters equal the first gc.ndjson lines, kind by kind, summed in the same order.
    const kinds = [...new Set(gcs.map((e) => e.kind))];
    const m = kinds.reduce((a, k) => a + (s.get(`promsoak_soak_gc_total{kind="${k}"}`) ?? 0), 0);
    for (const k of kinds) {
      const of = gcs.slice(0, m).filter((e) => e.kind === k);
      assert.equal(s.get(`promsoak_soak_gc_pause_seconds_total{kind="${k}"}`) ?? 0, of.reduce((a, e) => a + e.pauseMs / 1000, 0), `${k} after ${m} GCs`);
    }
  }
  t.diagnostic(`${bodies.length} scrapes, the last saw ${covered} of ${frames.length} frames; ${gcs.length} GC events`);
  if (!promtool) t.diagnostic('promtool not installed: the bodies were not linted');
  assert.ok(bodies.length >= 4, `${bodies.length} scrapes`);
  // Scraped until (nearly) the last frame: the soak's end leaves a second or two before the port closes.
  assert.ok(covered >= frames.length - 3, `the scrapes saw ${covered} of ${frames.length} frames`);
});
