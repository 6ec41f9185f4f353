import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, which } from './helpers/tools.js';
import type { Summary } from '../src/analysis/summary.js';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { readNdjson } from '../src/run/run-dir.js';

/** The default profile's families at `exporters` exporters scraped every `interval` s. */
function profileFile(dir: string, exporters: number, interval: number): string {
  const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8'));
  Object.assign(p, { name: 'target-test', exporters, scrapeIntervalSeconds: interval, scrapeTimeoutSeconds: interval });
  const file = join(dir, 'target-test.json');
  writeFileSync(file, JSON.stringify(p));
  return file;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  dir: string | undefined;
}

/** Runs the CLI; `interruptAtFrames` sends SIGINT (a Ctrl-C) once that many frames are on disk. */
function run(args: string[], out: string, o: { interruptAtFrames?: number; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    if (o.interruptAtFrames) {
      const poll = setInterval(() => {
        const dirs = existsSync(out) ? readdirSync(out) : [];
        const frames = dirs.length === 1 ? join(out, dirs[0]!, 'frames.ndjson') : '';
        if (frames && existsSync(frames) && readFileSync(frames, 'utf8').split('\n').length > o.interruptAtFrames!) {
          clearInterval(poll);
          c.kill('SIGINT');
        }
      }, 200);
      c.on('exit', () => clearInterval(poll));
    }
    const killer = setTimeout(() => c.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    c.on('exit', (code) => {
      clearTimeout(killer);
      const dirs = existsSync(out) ? readdirSync(out) : [];
      resolve({ code, stdout, stderr, dir: dirs.length === 1 ? join(out, dirs[0]!) : undefined });
    });
  });
}

function load(dir: string): { s: Summary; frames: Frame[]; gc: TimedGcEvent[] } {
  return {
    s: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')),
    frames: readNdjson<Frame>(join(dir, 'frames.ndjson')),
    gc: readNdjson<TimedGcEvent>(join(dir, 'gc.ndjson')),
  };
}

/** The target's cumulative allocation counter at wall time `ms`, interpolated within the frames' seconds. */
function allocatedAt(frames: Frame[], ms: number): number {
  let total = 0;
  for (const f of frames) {
    const a = f.allocatedBytes ?? 0;
    if (ms >= f.endMs) total += a;
    else if (ms > f.startMs) total += (a * (ms - f.startMs)) / (f.endMs - f.startMs);
  }
  return total;
}

const SCRAPER = join(ROOT, 'dist', 'test', 'fixtures', 'tiny-scraper.js');

test('--target prometheus: Debian\'s Prometheus soaked; samples, allocation and GC cycles each agree with a second, independent source', { timeout: 180_000 }, async (t) => {
  if (!which('prometheus')) return t.skip('Debian prometheus not installed (apt-get install prometheus)');
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  // 100 exporters × 200 series every second: 20,000 samples/s, and 500/s of Prometheus's own.
  const r = await run(['run', profileFile(out, 100, 1), '--target', 'prometheus', '--duration', '25', '--warmup', '5'], join(out, 'runs'));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const { s, frames, gc } = load(r.dir!);
  assert.equal(s.run.target?.kind, 'prometheus');
  assert.match(s.run.target!.version!, /prometheus, version 2\./);
  assert.equal(s.run.target!.env.GODEBUG, 'gctrace=1');
  assert.equal(s.load.expectedSamplesPerSecond, 100 * (200 + 5));
  // Samples: what Prometheus says it appended, against what the fleet offers plus its own 5 series a scrape.
  assert.ok(Math.abs(s.samplesPerSecond.mean / s.load.expectedSamplesPerSecond - 1) < 0.02, `samples/s ${s.samplesPerSecond.mean} vs ${s.load.expectedSamplesPerSecond}`);
  // What a Go target does not expose is null, never 0.
  assert.equal(s.eventLoopDelayMs, null);
  assert.equal(s.telemetry.agentMsPerSecond, null);
  assert.equal(s.scrapes.durationMs, null);
  assert.equal(frames[0]!.eventLoop, null);
  assert.ok(s.memory.series! >= 100 * 205, `head series ${s.memory.series}`);
  // GC cycles: gctrace's lines (by their cycle numbers) against go_gc_duration_seconds_count.
  const first = frames[0]!.target!;
  const last = frames.at(-1)!.target!;
  const c0 = first.gcCount! - first.gcCycles!;
  const c1 = last.gcCount!;
  assert.ok(c1 - c0 >= 3, `only ${c1 - c0} GC cycles in the soak`);
  const traced = gc.filter((e) => e.runtime === 'go' && e.cycle! > c0 && e.cycle! <= c1);
  assert.equal(traced.length, c1 - c0, 'every cycle the counter saw has its gctrace line');
  assert.deepEqual(traced.map((e) => e.cycle), Array.from({ length: c1 - c0 }, (_, i) => c0 + 1 + i));
  // Allocation: Σ of gctrace's per-cycle growth against go_memstats_alloc_bytes_total between the
  // same cycles' ends. Within 15 %: gctrace's heap figure counts whole spans each P has cached,
  // not bytes, and reads high (19 runs of this test on 2026-11-30: +0.3 to +10.1 %, mean +4 %);
  // the counter is read once a second and interpolated to a cycle's end, and the first cycle
  // ends within Prometheus's start-up second (59 MB allocated in it, 2 MB/s after).
  const k = traced[0]!;
  const m = traced.at(-1)!;
  const byTrace = traced.slice(1).reduce((a, e) => a + e.allocatedBytes, 0);
  const byCounter = allocatedAt(frames, m.wallMs) - allocatedAt(frames, k.wallMs);
  assert.ok(Math.abs(byTrace / byCounter - 1) < 0.15, `gctrace ${byTrace} B vs counter ${byCounter} B`);
  assert.match(s.allocation.source, /go_memstats_alloc_bytes_total/);
  assert.ok(s.bytesPerSample! > 0);
  // go_gc_duration_seconds' quantiles, ms: the longest stop-the-world pause so far is its max.
  const q = frames.at(-1)!.target!.gcPauseQuantilesMs!;
  assert.ok(q['1']! >= q['0.5']! && q['1']! > 0, JSON.stringify(q));
  // GC CPU is gctrace's, and no more than the CPU the process used.
  assert.ok(s.gc.cpuShare! > 0 && s.gc.cpuShare! < 1, `GC share ${s.gc.cpuShare}`);
  assert.ok(s.gc.byKind.go!.count === s.gc.count);
  assert.ok(s.memory.liveHeapBytes! > 0 && s.provisioning.gcRamOverheadPct! > 0);
  // GC's RAM figure is the heap's headroom over the live heap: Go at GOGC=100 grows it toward twice
  // the live heap (88 % in this 25 s soak on 2026-12-06; 65 % in a 15 s one, whose one cycle had not
  // reached its goal). Everything else in RSS (mmapped chunks, the runtime's own memory) is not GC's.
  assert.ok(s.provisioning.gcRamOverheadPct! > 40 && s.provisioning.gcRamOverheadPct! < 160, `GC adds ${s.provisioning.gcRamOverheadPct} % onto RAM`);
  const ram = s.memory.ram!;
  assert.ok(ram.offHeapBytes! > 0, 'go_memstats_sys_bytes − heap_sys: the runtime outside its heap');
  // A Go heap's peak is not all resident at once: what the parts add up to over RSS is said, not hidden.
  assert.equal(ram.liveHeapBytes! + ram.gcHeadroomBytes! + ram.offHeapBytes! + ram.runtimeAndRestBytes!, ram.peakRssBytes + ram.partsOverRssBytes!);
  assert.ok(s.cpu.avgCores > 0 && s.cpu.byClass.main === null);
  for (const f of ['prometheus.yml', 'target.stderr.log', 'target.stdout.log', 'report.html']) assert.ok(existsSync(join(r.dir!, f)), f);
  assert.match(r.stdout, /promsoak run: target-test, target prometheus/);
});

test('--target prometheus --env GOGC: what GC adds onto RAM follows GOGC (50 reads lower than 200)', { timeout: 180_000 }, async (t) => {
  if (!which('prometheus')) return t.skip('Debian prometheus not installed');
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const overhead = async (gogc: number): Promise<number> => {
    const r = await run(['run', profileFile(out, 100, 1), '--target', 'prometheus', '--env', `GOGC=${gogc}`, '--duration', '15', '--warmup', '5'], join(out, `runs-${gogc}`));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const { s } = load(r.dir!);
    assert.equal(s.run.target!.env.GOGC, String(gogc));
    t.diagnostic(`GOGC=${gogc}: GC adds ${s.provisioning.gcRamOverheadPct} % onto RAM`);
    return s.provisioning.gcRamOverheadPct!;
  };
  // 2026-12-06: 36 % and 96 %.
  const low = await overhead(50);
  const high = await overhead(200);
  // GOGC=50 lets the heap grow to 1.5 × the live one: its headroom is under 75 % (all of RSS over live read 154 %).
  assert.ok(low > 0 && low < 75 && low < high, `GOGC=50 ${low} % vs GOGC=200 ${high} %`);
});

test('--target prometheus: Ctrl-C stops Prometheus and leaves a complete run directory', { timeout: 120_000 }, async (t) => {
  if (!which('prometheus')) return t.skip('Debian prometheus not installed');
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const r = await run(['run', profileFile(out, 50, 1), '--target', 'prometheus', '--duration', '60', '--warmup', '2'], join(out, 'runs'), { interruptAtFrames: 4 });
  assert.equal(r.code, 130, r.stderr);
  const { s, frames } = load(r.dir!);
  assert.equal(s.run.stopReason, 'interrupted');
  assert.ok(frames.length >= 3, `${frames.length} frames`);
  for (const f of ['summary.json', 'report.html', 'run.json', 'frames.ndjson', 'gc.ndjson']) assert.ok(existsSync(join(r.dir!, f)), f);
  // Prometheus is gone: nothing listens on its port any more.
  const url = s.run.target!.metricsUrl!;
  await assert.rejects(fetch(url));
});

test('--target victoria-metrics: soaked the same way; samples within 2 % of the offer plus its 6 series a scrape', { timeout: 120_000 }, async (t) => {
  if (!which('victoria-metrics')) return t.skip('Debian victoria-metrics not installed (apt-get install victoria-metrics)');
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const r = await run(['run', profileFile(out, 100, 1), '--target', 'victoria-metrics', '--duration', '15', '--warmup', '5'], join(out, 'runs'));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const { s, frames, gc } = load(r.dir!);
  assert.equal(s.load.expectedSamplesPerSecond, 100 * (200 + 6));
  assert.ok(Math.abs(s.samplesPerSecond.mean / s.load.expectedSamplesPerSecond - 1) < 0.02, `samples/s ${s.samplesPerSecond.mean} vs ${s.load.expectedSamplesPerSecond}`);
  assert.ok(gc.some((e) => e.runtime === 'go'), 'gctrace cycles');
  assert.ok(s.scrapes.ok! > 0 && s.scrapes.failed === 0, `scrapes ${s.scrapes.ok}/${s.scrapes.failed}`);
  assert.match(s.allocation.source, /go_memstats_alloc_bytes_total/);
  // Its scrape durations, from its vm_promscrape_scrape_duration_seconds histogram: each scrape
  // its counter counts, and the p99 of a loopback scrape of 200 lines over 0, under the 1 s interval.
  const d = s.scrapes.durationMs;
  assert.ok(d !== null && d.p99 > 0 && d.p99 < 1000 && d.p50 <= d.p99, `scrape durations ${JSON.stringify(d)}`);
  const counted = frames.filter((f) => !f.warmup).reduce((a, f) => a + (f.scrapeMs?.count ?? 0), 0);
  const ok = frames.filter((f) => !f.warmup).reduce((a, f) => a + (f.scrapesOk ?? 0), 0);
  assert.equal(counted, ok, 'the histogram counts the scrapes its counter counts');
});

test('--target exec: a scraper written here, its own counter, CPU from /proc', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const r = await run(
    ['run', profileFile(out, 20, 1), '--target', `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total', '--duration', '8', '--warmup', '3'],
    join(out, 'runs'),
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const { s, frames } = load(r.dir!);
  assert.equal(s.run.target?.kind, 'exec');
  assert.equal(s.load.expectedSamplesPerSecond, 20 * 200);
  assert.ok(Math.abs(s.samplesPerSecond.mean / 4000 - 1) < 0.05, `samples/s ${s.samplesPerSecond.mean}`);
  assert.ok(s.cpu.avgCores > 0.005, `CPU ${s.cpu.avgCores}`);
  assert.ok(frames.every((f) => f.heap.rssBytes > 10e6), 'RSS from /proc');
  assert.equal(s.gc.count, 0, 'a Node scraper prints no gctrace');
  assert.equal(s.gc.cpuShare, null, 'an untraced GC is unknown, not 0 %');
  assert.equal(s.provisioning.gcCoreOverheadPct, null);
  assert.match(s.verdict.join('\n'), /GC is not traced/);
  assert.equal(s.bytesPerSample, null, 'no allocation counter: n/a, not 0');
});

test('--target exec: a scraper that dies mid-soak ends the soak (exit 1) with the reason, and what was measured stays', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const r = await run(
    ['run', profileFile(out, 10, 1), '--target', `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval} 6`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total', '--duration', '30', '--warmup', '1'],
    join(out, 'runs'),
  );
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const { s, frames } = load(r.dir!);
  assert.equal(s.run.stopReason, 'engine-exited');
  assert.match(s.verdict[0]!, /the target \(exec:.*\) exited before the end of the soak \(exit code 3\)/);
  assert.ok(frames.length >= 3);
});

test('--target: a target that exits at start or never answers is one line, exit 1, with its stderr', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const profile = profileFile(out, 5, 1);
  const exits = await run(['run', profile, '--target', "exec:sh -c 'echo bad flag >&2; exit 2' {port}", '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'x', '--duration', '5'], join(out, 'a'));
  assert.equal(exits.code, 1);
  assert.match(exits.stderr, /--target exec exited at start \(exit code 2\); the end of its stderr:\n\s+bad flag/);
  const missing = await run(['run', profile, '--target', 'prometheus:/no/such/prometheus', '--duration', '5'], join(out, 'b'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /"\/no\/such\/prometheus" is not installed/);
  const absent = await run(['run', profile, '--target', `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'no_such_total', '--duration', '5'], join(out, 'c'), { timeoutMs: 60_000 });
  assert.equal(absent.code, 2);
  assert.match(absent.stderr, /no series matching the samples counter no_such_total/);
});

test('compare --target with --env variants: each setting a run, the table names the system per row', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const exec = `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval}`;
  const r = await run(
    ['compare', profileFile(out, 10, 1), '--target', `builtin,${exec}`, '--env', 'TINY_MODE=a', '--env', 'TINY_MODE=b', '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total', '--duration', '3', '--warmup', '1'],
    join(out, 'runs'),
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const dir = r.dir!;
  const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
  const labels = json.variants.map((v: { label: string }) => v.label);
  assert.deepEqual(labels, ['builtin TINY_MODE=a', 'builtin TINY_MODE=b', 'exec:' + process.execPath + ' TINY_MODE=a', 'exec:' + process.execPath + ' TINY_MODE=b']);
  const execRow = json.variants[3];
  assert.equal(execRow.settings.target, exec);
  assert.deepEqual(execRow.settings.env, ['TINY_MODE=b']);
  assert.equal(execRow.settings.ingester, null);
  // Each run's summary names its target and the environment it was given.
  const runs = json.runs as { variant: string; dir: string }[];
  const s = JSON.parse(readFileSync(join(runs.find((x) => x.variant === labels[3])!.dir, 'summary.json'), 'utf8')) as Summary;
  assert.equal(s.run.target?.kind, 'exec');
  assert.equal(s.run.target?.env.TINY_MODE, 'b');
  for (const l of labels) assert.ok(r.stdout.includes(l), `row ${l} in the table`);
});

test('--target url: a scraper already running, pointed at a promsoak fleet already running (--fleet), its CPU and RSS from --pid', { timeout: 90_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const fleet = spawn(process.execPath, [CLI, 'fleet', profileFile(out, 10, 1), '--port', '0', '--out', join(out, 'fleet')], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => fleet.kill('SIGKILL'));
  const ready = await new Promise<string>((resolve, reject) => {
    let text = '';
    fleet.stdout.on('data', (d) => {
      text += d;
      if (/ready/.test(text)) resolve(text);
    });
    fleet.stderr.on('data', (d) => (text += d));
    fleet.on('exit', () => reject(new Error(`fleet exited: ${text}`)));
  });
  const base = /(http:\/\/127\.0\.0\.1:\d+)\/exporters/.exec(ready)![1]!;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const scraper = spawn(process.execPath, [SCRAPER, join(out, 'fleet', 'file_sd.json'), String(port), '1s'], { stdio: 'ignore' });
  t.after(() => scraper.kill('SIGKILL'));
  const r = await run(['run', '--fleet', base, '--target', `url:http://127.0.0.1:${port}/metrics`, '--target-samples', 'tiny_samples_total', '--pid', String(scraper.pid), '--duration', '6', '--warmup', '2'], join(out, 'runs'));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const { s, frames } = load(r.dir!);
  assert.equal(s.run.target?.kind, 'url');
  assert.equal(s.run.target?.pid, scraper.pid);
  assert.ok(Math.abs(s.samplesPerSecond.mean / s.load.expectedSamplesPerSecond - 1) < 0.05, `samples/s ${s.samplesPerSecond.mean} vs ${s.load.expectedSamplesPerSecond}`);
  assert.ok(frames.every((f) => f.heap.rssBytes > 10e6 && f.cpu.user !== null), 'CPU and RSS from /proc/<pid>');
  // The soak stopped nothing it did not start.
  assert.equal(scraper.exitCode, null);
});

test('--target: a target frozen mid-soak (SIGSTOP) is a FAILED soak, not a good one, and is still stopped at the end', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  const runs = join(out, 'runs');
  const soak = run(
    ['run', profileFile(out, 5, 1), '--target', `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total', '--duration', '12', '--warmup', '1'],
    runs,
  );
  // Once three frames are on disk, freeze the target.
  let pid: number | undefined;
  for (let i = 0; i < 300 && pid === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const dirs = existsSync(runs) ? readdirSync(runs) : [];
    const frames = dirs.length === 1 ? join(runs, dirs[0]!, 'frames.ndjson') : '';
    if (frames && existsSync(frames) && readFileSync(frames, 'utf8').split('\n').length > 3) pid = JSON.parse(readFileSync(join(runs, dirs[0]!, 'run.json'), 'utf8')).meta.target.pid;
  }
  assert.ok(pid, 'the target started');
  process.kill(pid, 'SIGSTOP');
  const r = await soak;
  assert.equal(r.code, 1, r.stdout);
  const { s } = load(r.dir!);
  assert.match(s.verdict[0]!, /^FAILED: the target \(exec:.*\) sent no frame for/);
  assert.ok(s.run.longestSilenceSeconds > 3);
  assert.throws(() => process.kill(pid!, 0), 'the frozen target was killed');
});
