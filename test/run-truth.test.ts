import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Summary } from '../src/analysis/summary.js';
import type { Frame } from '../src/protocol/frame.js';
import { readNdjson } from '../src/run/run-dir.js';
import { CLI, ROOT, runCli } from './helpers/tools.js';

/**
 * A run that broke must not read as a good one: a frozen engine, a stalled main thread, a
 * corrupt or cut frames file, a coordinator killed with SIGKILL.
 */

const onlyRun = (out: string): string => join(out, readdirSync(out)[0]!);
const summaryOf = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

/** The engine child of a coordinator (its only node child running engine/main.js). */
function enginePid(coordinator: number): number | undefined {
  const r = spawnSync('pgrep', ['-P', String(coordinator), '-f', 'engine/main.js'], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim().split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

/** Resolves once the run under `out` has `n` frames on disk. */
function framesOnDisk(out: string, n: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const dirs = existsSync(out) ? readdirSync(out) : [];
      const dir = dirs.length ? join(out, dirs[0]!) : '';
      if (dir && existsSync(join(dir, 'frames.ndjson')) && readNdjson<Frame>(join(dir, 'frames.ndjson')).length >= n) {
        clearInterval(timer);
        resolve(dir);
      }
    }, 100);
  });
}

function start(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stdout: string; ms: number }> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stdout += d));
  const done = new Promise<{ code: number | null; stdout: string; ms: number }>((r) => child.on('exit', (code) => r({ code, stdout, ms: Date.now() - t0 })));
  return { child, done };
}

test('a frozen engine (SIGSTOP) is a failed run whose seconds without a frame are starved, not a completed even one', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-truth-'));
  const run = start(['run', 'smoke', '--duration', '8', '--warmup', '2', '--out', out, '--threshold', 'starvation.windows==0', '--threshold', 'samplesPerSecond.mean>=600']);
  await framesOnDisk(out, 4);
  const engine = enginePid(run.child.pid!);
  assert.ok(engine, 'engine pid');
  process.kill(engine, 'SIGSTOP');
  const r = await run.done;
  assert.equal(r.code, 1, r.stdout);
  const s = summaryOf(onlyRun(out));
  assert.ok(s.run.missingSeconds >= 4, `${s.run.missingSeconds} missing seconds`);
  assert.ok(s.run.longestSilenceSeconds > 3, String(s.run.longestSilenceSeconds));
  const silent = s.starvation.seconds.filter((x) => x.noFrame);
  assert.equal(silent.length, s.run.missingSeconds);
  assert.ok(silent.every((x) => x.samples === 0 && !x.withGc), JSON.stringify(silent));
  assert.ok(s.samplesPerSecond.min === 0 && s.samplesPerSecond.mean < 600, JSON.stringify(s.samplesPerSecond));
  assert.deepEqual(s.thresholds.map((t) => t.ok), [false, false]);
  assert.match(s.verdict[0]!, /^FAILED: the engine sent no frame for \d+ of the \d+ s measured/);
  assert.doesNotMatch(r.stdout, /ingestion was even/);
  // A silent engine is not asked for its live heap nor waited on to stop.
  assert.ok(r.ms < 25_000, `${r.ms} ms`);
});

test('a frozen coordinator (SIGSTOP: the fleet serves nothing) is the harness stalling, not the engine starving, and a failed run', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-truth-'));
  const run = start(['run', 'smoke', '--duration', '12', '--warmup', '2', '--out', out]);
  await framesOnDisk(out, 5);
  process.kill(run.child.pid!, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 2000));
  process.kill(run.child.pid!, 'SIGCONT');
  const r = await run.done;
  assert.equal(r.code, 1, r.stdout);
  const s = summaryOf(onlyRun(out));
  const stalls = s.run.harnessStalls ?? [];
  assert.equal(stalls.length, 1, JSON.stringify(stalls));
  const ms = stalls[0]!.toMs - stalls[0]!.fromMs;
  assert.ok(ms >= 1800 && ms < 4000, `stalled ${ms} ms`);
  assert.ok((s.run.harnessStalledSeconds ?? 0) >= 3, String(s.run.harnessStalledSeconds));
  // The seconds the fleet did not serve are not the engine's starvation.
  const inStall = s.starvation.seconds.filter((x) => {
    const at = (s.run.windowStartMs ?? 0) + x.t * 1000;
    return at > stalls[0]!.fromMs - 1000 && at < stalls[0]!.toMs + 3000;
  });
  assert.deepEqual(inStall, [], JSON.stringify(s.starvation.seconds));
  assert.match(s.verdict[0]!, /^FAILED: the harness itself stalled: the coordinator, which serves the fleet, did not run for [0-9.]+ s at t=\d+ s/);
  assert.match(r.stdout, /the harness itself stalled/);
  // The frames the engine wrote meanwhile waited in the pipe and arrived together: the one /proc
  // reading of the engine's threads is shared among them, not given to the first alone.
  const frames = readNdjson<Frame>(join(onlyRun(out), 'frames.ndjson'));
  const bad = frames.filter((f) => !(f.cpu.main! > 0 && f.cpu.main! <= f.cpu.total * 1.05 + 0.005));
  assert.deepEqual(bad.map((f) => [f.t, f.cpu.main, f.cpu.total]), [], 'every frame has main-thread CPU, within its process total');
});

test('a stalled main thread (no GC) is starved seconds that GC did not cause, and a failed run', { timeout: 90_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-truth-'));
  const r = runCli(['run', 'smoke', '--duration', '12', '--warmup', '1', '--ingester', `module:${join(ROOT, 'dist', 'test', 'fixtures', 'stall-ingester.js')}`, '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const s = summaryOf(onlyRun(out));
  const silent = s.starvation.seconds.filter((x) => x.noFrame);
  assert.ok(silent.length >= 3, JSON.stringify(s.starvation.seconds));
  assert.ok(silent.every((x) => !x.withGc), JSON.stringify(silent));
  assert.match(s.verdict[0]!, /GC did not cause them/);
  assert.match(r.stdout, /no frame: the engine was silent .*\(not GC\)/);
  // No second, frame or frameless, reads as GC's (a mark-compact of a few ms in a blocked second
  // does not explain it), each second is listed once, and the verdict names the stall as not GC's.
  const ts = s.starvation.seconds.map((x) => x.t);
  assert.deepEqual(ts, [...new Set(ts)], `a second listed twice: ${ts}`);
  assert.equal(s.starvation.withGc, 0, JSON.stringify(s.starvation.seconds));
  assert.ok(s.starvation.seconds.every((x) => x.lostMs! > 0 && x.gc.explainedMs! < x.lostMs! / 2), JSON.stringify(s.starvation.seconds));
  assert.match(s.verdict.join('\n'), /GC explains [\d.]+ of the [\d.]+ s lost .*no second reads as GC's; the biggest stall, [3-9] s from t=\d+ s \([\d.]+ s lost, [\d.]+ ms of GC work in it\), was not GC's\./);
});

test('report: a corrupt frames file is an error that keeps summary.json; a cut last line is left out and said', { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-truth-'));
  assert.equal(runCli(['run', 'smoke', '--duration', '3', '--warmup', '1', '--out', out]).status, 0);
  const dir = onlyRun(out);
  const good = readFileSync(join(dir, 'summary.json'), 'utf8');
  const frames = readFileSync(join(dir, 'frames.ndjson'));

  writeFileSync(join(dir, 'frames.ndjson'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
  let r = runCli(['report', dir]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^promsoak: .*frames\.ndjson:1: not a JSON record .*the file is corrupt\n$/);
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), good);

  // Fewer frames than the summary counted: kept, with the reason.
  const lines = frames.toString().split('\n').filter(Boolean);
  writeFileSync(join(dir, 'frames.ndjson'), lines.slice(0, 1).join('\n') + '\n');
  r = runCli(['report', dir]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the frames are incomplete, summary\.json is kept/);
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), good);

  // A last line cut mid-write (no newline): left out, said in the verdict.
  writeFileSync(join(dir, 'frames.ndjson'), frames);
  appendFileSync(join(dir, 'frames.ndjson'), '{"t":9.1,"startMs":');
  r = runCli(['report', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(summaryOf(dir).verdict.some((v) => /frames\.ndjson ends with a cut line/.test(v)));
});

test('a coordinator killed with SIGKILL leaves a run that report can still read (run.json)', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-truth-'));
  const run = start(['run', 'smoke', '--duration', '30', '--warmup', '1', '--out', out, '--threshold', 'scrapes.failed==0']);
  const dir = await framesOnDisk(out, 4);
  const engine = enginePid(run.child.pid!);
  run.child.kill('SIGKILL');
  await run.done;
  // The engine notices its parent is gone (IPC disconnect) and exits by itself.
  if (engine) {
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && spawnSync('kill', ['-0', String(engine)]).status === 0) await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(spawnSync('kill', ['-0', String(engine)]).status, 0, 'the orphaned engine exited');
  }
  assert.ok(!existsSync(join(dir, 'summary.json')));
  const r = runCli(['report', dir]);
  assert.equal(r.status, 0, r.stderr);
  const s = summaryOf(dir);
  assert.equal(s.run.stopReason, 'killed');
  assert.equal(s.run.profile, 'smoke');
  assert.ok(s.samples > 0 && s.run.measuredSeconds >= 2, JSON.stringify(s.run));
  assert.deepEqual(s.thresholds.map((t) => t.expression), ['scrapes.failed==0']);
  assert.match(s.verdict[0]!, /the run did not finish: its coordinator was killed/);
  assert.match(r.stdout, /\(killed\)/);
});
