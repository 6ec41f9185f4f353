import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, runCli } from './helpers/tools.js';
import { checkTogether, togetherNote } from '../src/compare/together.js';
import { planVariants } from '../src/compare/plan.js';
import { schedulePhaseMs, sidePhaseOffsetMs } from '../src/common/schedule.js';
import { scrapeOffsetMs } from '../src/engine/scheduler.js';
import { startEngine } from '../src/engine/engine.js';
import { sideLaunches } from '../src/run/side-launch.js';
import { planLaunch } from '../src/run/engine-launch.js';
import type { Frame } from '../src/protocol/frame.js';
import type { Summary } from '../src/analysis/summary.js';

test('compare --together refuses what it cannot put side by side, before anything runs, one line naming it; nothing is made', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-'));
  const t = runCli(['compare', 'smoke', '--together', '--target', 'builtin,url:http://127.0.0.1:1/metrics', '--target-samples', 'x', '--out', out]);
  assert.equal(t.status, 2, t.stderr);
  assert.match(t.stderr, /^promsoak: --together needs the built-in engine: url:http:\/\/127\.0\.0\.1:1\/metrics is another system/m);
  const m = runCli(['compare', 'smoke', '--together', '--ingester', 'cached,naive', '--metrics-port', '0', '--duration', '2', '--warmup', '1', '--out', out]);
  assert.equal(m.status, 2, m.stderr);
  assert.equal(m.stderr.trim().split('\n').length, 1, m.stderr);
  assert.match(m.stderr, /^promsoak: --together runs its own fleet, scraped, with no live metrics .*: not --metrics-port; run without --together for those$/m);
  // --fleet: refused before its shards are asked anything (none answers at port 9).
  const f = runCli(['compare', '--together', '--ingester', 'cached,naive', '--fleet', 'http://127.0.0.1:9', '--out', out]);
  assert.equal(f.status, 2, f.stderr);
  assert.match(f.stderr, /^promsoak: --together runs its own fleet, .*: not --fleet;/m);
  assert.deepEqual(readdirSync(out), [], 'no compare directory, no run');
});

test('--together: the first reason that applies', () => {
  const plan = (axes: Parameters<typeof planVariants>[0]) => planVariants(axes, 16);
  assert.throws(() => checkTogether({ together: true, cores: [1, 2] }, plan({ cores: [1, 2] })), /varies --ingester and --v8-flags only .*: not --cores;/);
  assert.throws(() => checkTogether({ together: true }, plan({})), /needs two variants or more/);
  const two = { together: true, ingesters: ['cached', 'naive'] };
  assert.throws(() => checkTogether({ ...two, fleet: 'http://127.0.0.1:9' }, plan(two)), /not --fleet;/);
  assert.throws(() => checkTogether({ ...two, push: 'remote-write' }, plan(two)), /not --push;/);
  // Two ingesters, or the same V8 flag twice (an A/A pair): run.
  assert.doesNotThrow(() => checkTogether(two, plan(two)));
  assert.doesNotThrow(() => checkTogether({ together: true, v8Flags: ['--stack-size=984', '--stack-size=984'] }, plan({ v8Flags: ['--stack-size=984', '--stack-size=984'] })));
  assert.doesNotThrow(() => checkTogether({ ingesters: ['cached', 'naive'], cores: [1, 2] }, plan({ ingesters: ['cached', 'naive'], cores: [1, 2] })));
});

test('engine k of n scrapes every target k·interval/n after its own phase: no two engines at one instant', () => {
  assert.deepEqual([0, 1, 2].map((k) => sidePhaseOffsetMs(k, 3, 1000)), [0, 333, 667]);
  assert.deepEqual([0, 1].map((k) => sidePhaseOffsetMs(k, 2, 15_000)), [0, 7500]);
  for (let i = 0; i < 200; i++) {
    const id = `http://127.0.0.1:9100/exporters/${i}/metrics`;
    const base = schedulePhaseMs(id, 1000);
    assert.equal(schedulePhaseMs(id, 1000, 0), base);
    const shifted = schedulePhaseMs(id, 1000, 500);
    assert.equal(shifted, (base + 500) % 1000, id);
    assert.ok(shifted >= 0 && shifted < 1000);
    // The engine's first scrape lands at the shifted phase.
    const now = 1_700_000_000_123;
    const off = scrapeOffsetMs(id, 1000, now, 500);
    assert.ok(off > 0 && off <= 1000);
    assert.equal((now + off) % 1000, shifted);
  }
});

test('side launches: a core each and the fleet on the rest where the machine has n+1 cores; shared otherwise, said', () => {
  const l = planLaunch({ v8Flags: ['--max-semi-space-size=1'], telemetry: false, machineCores: 4 });
  const four = sideLaunches([l, l], 4, true);
  assert.equal(four.fleetCpus, '0,3');
  assert.deepEqual(four.launches.map((x) => x.prefix.slice(0, 3)), [['taskset', '-c', '1'], ['taskset', '-c', '2']]);
  assert.deepEqual(four.launches.map((x) => [x.engineCpus, x.fleetCores]), [['1', 2], ['2', 2]]);
  // The variant's own flags stay last (they win over the pool size put first).
  assert.deepEqual(four.launches[0]!.execArgv.slice(0, 1).concat(four.launches[0]!.execArgv.slice(-1)), ['--v8-pool-size=1', '--max-semi-space-size=1']);
  assert.equal(sideLaunches([l, l], 3, true).fleetCpus, '0');
  assert.equal(sideLaunches([l, l], 16, true).fleetCpus, '0,3-15');
  const two = sideLaunches([l, l], 2, true);
  assert.equal(two.fleetCpus, null);
  assert.deepEqual(two.launches, [l, l]);
  assert.equal(sideLaunches([l, l], 8, false).fleetCpus, null, 'no taskset: shared');
  assert.match(togetherNote(2, null, 2), /^together on shared cores: noise hits all variants, but they also compete for the cores/);
  assert.match(togetherNote(2, '0,3', 4), /engine k alone on core k\+1, the fleet on CPUs 0,3/);
});

test('the engine scrapes a target at its phase shifted by phaseOffsetMs (seen at the exporter)', async () => {
  const seen: number[] = [];
  const server = createServer((_req, res) => {
    seen.push(Date.now());
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('up 1\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-phase-'));
  const sd = join(dir, 'file_sd.json');
  writeFileSync(sd, JSON.stringify([{ targets: [`127.0.0.1:${port}`] }]));
  const id = `http://127.0.0.1:${port}/metrics`;
  // The late side of each phase: a scrape arrives after it is due, by the timer's and the loop's lateness.
  const lateBy = (t: number, phase: number): number => (((t % 1000) - phase) % 1000 + 1000) % 1000;
  try {
    for (const offset of [0, 500]) {
      seen.length = 0;
      const engine = await startEngine({ targetsFile: sd, intervalSeconds: 1, phaseOffsetMs: offset });
      await new Promise((r) => setTimeout(r, 3300));
      await engine.close();
      assert.ok(seen.length >= 2, `scrapes seen: ${seen.length}`);
      const phase = schedulePhaseMs(id, 1000, offset);
      for (const t of seen) assert.ok(lateBy(t, phase) < 250, `offset ${offset}: scraped ${lateBy(t, phase)} ms after the phase ${phase}`);
    }
  } finally {
    server.close();
  }
});

test('compare --together: cached and naive in the same seconds on one fleet, each its own run directory and phases; naive reads dearer', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-run-'));
  const r = runCli(['compare', 'smoke', '--ingester', 'cached,naive', '--together', '--repeat', '1', '--duration', '6', '--warmup', '2', '--out', out], { timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /over 1 repeat, together/);
  assert.match(r.stdout, /together (on shared cores: noise hits all variants, but they also compete for the cores|: 2 engines at the same time on one fleet, engine k alone on core k\+1)/);
  const [cmp] = readdirSync(out);
  const json = JSON.parse(readFileSync(join(out, cmp!, 'compare.json'), 'utf8')) as { runs: { variant: string; dir: string; usPerSample: number; stopReason: string }[] };
  assert.deepEqual(json.runs.map((x) => [x.variant, x.stopReason]), [['ingester=cached', 'completed'], ['ingester=naive', 'completed']]);
  const dirs = json.runs.map((x) => x.dir);
  assert.notEqual(dirs[0], dirs[1]);
  // In the compare directory, as a compare in turn puts them.
  assert.deepEqual(dirs.map((d) => join(d, '..')), [join(out, cmp!), join(out, cmp!)]);
  for (const d of dirs) for (const f of ['summary.json', 'report.html', 'frames.ndjson', 'gc.ndjson', 'run.json', 'file_sd.json', 'profile.json']) assert.ok(readdirSync(d).includes(f), `${d}: ${f}`);
  const frames = dirs.map((d) => readFileSync(join(d, 'frames.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Frame));
  // The same seconds: one soak clock, and the measured frames overlap in wall time.
  const span = frames.map((fs) => [Math.min(...fs.map((f) => f.startMs)), Math.max(...fs.map((f) => f.endMs))] as const);
  assert.ok(Math.max(span[0]![0], span[1]![0]) + 4000 < Math.min(span[0]![1], span[1]![1]), `frames overlap: ${JSON.stringify(span)}`);
  const runs = dirs.map((d) => JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as { meta: { windowStartMs: number; schedule: { intervalMs: number; offsetsMs: number[] } } });
  assert.equal(runs[0]!.meta.windowStartMs, runs[1]!.meta.windowStartMs);
  // Each engine its own phases: every target half an interval apart.
  const [a, b] = runs.map((x) => x.meta.schedule.offsetsMs);
  assert.equal(a!.length, 20);
  for (let i = 0; i < a!.length; i++) assert.equal((b![i]! - a![i]! + 1000) % 1000, 500, `target ${i}`);
  const summaries = dirs.map((d) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Summary);
  for (const s of summaries) assert.ok(s.samplesPerSecond.mean > 0 && (s.scrapes.ok ?? 0) > 0, 'both scraped');
  for (const s of summaries) assert.ok(s.verdict.some((l) => /^together/.test(l)), 'each run says it ran together');
  assert.ok(json.runs[1]!.usPerSample > json.runs[0]!.usPerSample, `naive ${json.runs[1]!.usPerSample} µs/sample > cached ${json.runs[0]!.usPerSample}`);
});

test('compare --together: Ctrl-C ends the round with every run directory complete, as interrupted, and starts no other round', async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-int-'));
  const child = spawn(process.execPath, [CLI, 'compare', 'smoke', '--ingester', 'cached,naive', '--together', '--repeat', '2', '--duration', '30', '--warmup', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Once both engines record frames, Ctrl-C.
  const framesIn = (): boolean => {
    const [cmp] = readdirSync(out);
    if (!cmp) return false;
    const runs = readdirSync(join(out, cmp)).filter((d) => !d.startsWith('compare'));
    return runs.length === 2 && runs.every((d) => readdirSync(join(out, cmp, d)).includes('frames.ndjson') && readFileSync(join(out, cmp, d, 'frames.ndjson'), 'utf8').split('\n').length > 3);
  };
  for (let i = 0; i < 200 && !framesIn(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(framesIn(), `no frames: ${stderr}`);
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  const [cmp] = readdirSync(out);
  const runs = readdirSync(join(out, cmp!)).filter((d) => !d.startsWith('compare'));
  assert.equal(runs.length, 2, 'one round only');
  for (const d of runs) {
    const s = JSON.parse(readFileSync(join(out, cmp!, d, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.run.stopReason, 'interrupted', d);
    assert.ok(readdirSync(join(out, cmp!, d)).includes('report.html'), d);
  }
  assert.ok(readdirSync(join(out, cmp!)).includes('compare.json'));
});

test('compare --together: an engine that cannot start fails the round in one line naming its log, and no engine is left running', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-bad-'));
  const r = runCli(['compare', 'smoke', '--v8-flags', '--stack-size=984', '--v8-flags', '--no-such-flag-xyz', '--together', '--repeat', '1', '--duration', '4', '--warmup', '1', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  const m = /^promsoak: engine child exited .* bad option: --no-such-flag-xyz \(engine log: (.*\/engine\.stderr\.log)\)$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  // The log named is the bad variant's (its run directory may or may not carry a -2: the two are made a second apart or not).
  assert.match(readFileSync(m[1]!, 'utf8'), /bad option: --no-such-flag-xyz/);
  // The good engine, started beside it, was killed: nothing of this compare's still runs.
  const ps = spawnSync('pgrep', ['-f', out], { encoding: 'utf8' });
  assert.equal(ps.stdout.trim(), '', 'no process left with the compare directory on its command line');
});

test('compare --together: an engine killed mid-round ends its variant\'s run as engine-exited; the other runs on to the end', async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-die-'));
  const child = spawn(process.execPath, [CLI, 'compare', 'smoke', '--ingester', 'cached,naive', '--together', '--repeat', '1', '--duration', '8', '--warmup', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // The naive engine: the one whose command line names the second run directory (its --diagnostic-dir).
  let pid = '';
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const [cmp] = readdirSync(out);
    const second = cmp ? readdirSync(join(out, cmp)).find((d) => d.endsWith('-2')) : undefined;
    if (!second || !readFileSync(join(out, cmp!, second, 'frames.ndjson'), 'utf8').includes('\n')) continue;
    pid = spawnSync('pgrep', ['-f', '--', `--diagnostic-dir=${join(out, cmp!, second)}`], { encoding: 'utf8' }).stdout.trim();
  }
  assert.match(pid, /^\d+$/, `the second engine's pid: ${stderr}`);
  process.kill(Number(pid), 'SIGKILL');
  // A compare one of whose engines died is no clean comparison: FAILED, exit 1, and the dead run's part-window figures in no difference.
  assert.equal(await exited, 1, stderr);
  const [cmp] = readdirSync(out);
  const json = JSON.parse(readFileSync(join(out, cmp!, 'compare.json'), 'utf8')) as { runs: { variant: string; stopReason: string; dir: string }[]; verdict: string[]; comparisons: { figures: { n: number }[] }[] };
  assert.deepEqual(json.runs.map((x) => [x.variant, x.stopReason]), [['ingester=cached', 'completed'], ['ingester=naive', 'engine-exited']]);
  assert.ok(json.verdict.some((l) => /^FAILED: ingester=naive #1 did not complete \(engine-exited\)/.test(l)), json.verdict.join('\n'));
  assert.ok(json.comparisons[0]!.figures.every((d) => d.n === 0), 'no pair with the dead run');
  const dead = JSON.parse(readFileSync(join(json.runs[1]!.dir, 'summary.json'), 'utf8')) as Summary;
  assert.ok(dead.verdict.some((l) => /SIGKILL/.test(l)), dead.verdict.join('\n'));
  const alive = JSON.parse(readFileSync(join(json.runs[0]!.dir, 'summary.json'), 'utf8')) as Summary;
  assert.ok(alive.run.windowEndMs! - alive.run.windowStartMs! >= 8000, 'the cached run went on to its end');
});
