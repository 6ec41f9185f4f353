import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './helpers/tools.js';
import type { Summary } from '../src/analysis/summary.js';

/**
 * `promsoak capacity` end to end on a synthetic system whose ceiling is known: an exec: scraper
 * (test/fixtures/capped-scraper.ts) that ingests at most CAP samples/s of what it scrapes. The
 * profile: 10 series an exporter, scraped every second (10 samples/s an exporter); short steps.
 */
const SCRAPER = join(ROOT, 'dist', 'test', 'fixtures', 'capped-scraper.js');

function profileFile(dir: string): string {
  const file = join(dir, 'cap-test.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'cap-test',
      description: '10 series an exporter, every second',
      exporters: 40,
      scrapeIntervalSeconds: 1,
      durationSeconds: 10,
      warmupSeconds: 2,
      seed: 1,
      families: [{ type: 'gauge', name: 'cap_level', help: 'A level.', labels: [{ name: 'x', cardinality: 10 }] }],
    }),
  );
  return file;
}

/**
 * The capacity flags for the capped scraper at `cap` samples/s. On 2 shared cores the scraper's
 * own timers run late now and then (a second with 15 of its 19 scrapes): a step passes at 90 %
 * ingested, and a few starved seconds (a target's per-second readings jitter) are allowed.
 */
function capArgs(dir: string, cap: number, extra: string[] = []): string[] {
  return [
    'capacity', profileFile(dir),
    '--target', `exec:${process.execPath} ${SCRAPER} {file_sd} {port} {interval} ${cap}`,
    '--target-metrics', 'http://127.0.0.1:{port}/metrics',
    '--target-samples', 'capped_samples_total',
    '--start-exporters', '10', '--max-exporters', '200',
    '--step-warmup', '2', '--step-seconds', '5', '--max-starved', '5', '--min-ingested', '0.9',
    ...extra,
  ];
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  dir: string | undefined;
}

/** Runs the CLI; `interruptAfter` sends SIGINT (a Ctrl-C) once stderr matches it. */
function run(args: string[], out: string, o: { interruptAfter?: RegExp; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', PROMSOAK_TEST_RUN: out } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => {
      stderr += d;
      if (o.interruptAfter && !sent && o.interruptAfter.test(stderr)) {
        sent = true;
        c.kill('SIGINT');
      }
    });
    const killer = setTimeout(() => c.kill('SIGKILL'), o.timeoutMs ?? 150_000);
    c.on('exit', (code) => {
      clearTimeout(killer);
      const dirs = existsSync(out) ? readdirSync(out) : [];
      resolve({ code, stdout, stderr, dir: dirs.length === 1 ? join(out, dirs[0]!) : undefined });
    });
  });
}

/** Pids of processes (this user's) whose environment holds PROMSOAK_TEST_RUN=<out>: what run() started, and its children. */
function leftBehind(out: string): number[] {
  const mark = Buffer.from(`PROMSOAK_TEST_RUN=${out}\0`);
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`).includes(mark)) pids.push(Number(d));
    } catch {
      // gone, or another user's
    }
  }
  return pids;
}

interface CapacityJson {
  schemaVersion: number;
  kind: string;
  cores: { cores: number; outcome: { kind: string; exporters: number | null; samplesPerSecond: number | null; words: string }; steps: { plan: { load: { exporters: number } }; pass: boolean; spoiled?: string; failed: { criterion: string }[] }[] }[];
}

const capacityJson = (dir: string): CapacityJson => JSON.parse(readFileSync(join(dir, 'capacity.json'), 'utf8'));

/** The run directory of the capacity directory's one soak (the whole ramp). */
function runDirOf(dir: string): string {
  const runs = readdirSync(dir).filter((f) => f.endsWith('-cap-test'));
  assert.equal(runs.length, 1, `one soak: ${runs.join(', ')}`);
  return join(dir, runs[0]!);
}

test('capacity: the ceiling of a system that drops everything above 330 samples/s is found within the resolution and one step, in one run of the system', { timeout: 180_000 }, async () => {
  // Judged at 90 % ingested, the true ceiling is 330 / 0.9 = 366.7 samples/s offered (36 exporters).
  const truth = 330 / 0.9;
  const out = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  const r = await run(capArgs(out, 330, ['--resolution', '0.1']), join(out, 'runs'));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.dir!, /\d{8}T\d{6}Z-capacity-cap-test$/);
  const doc = capacityJson(r.dir!);
  assert.equal(doc.kind, 'capacity');
  assert.equal(doc.schemaVersion, 1);
  const c = doc.cores[0]!;
  assert.equal(c.outcome.kind, 'ceiling', c.outcome.words);
  // The search stops within 10 %, and one step (10 samples/s) below that at most.
  assert.ok(c.outcome.samplesPerSecond! <= truth && c.outcome.samplesPerSecond! >= truth * 0.9 - 10, `ceiling ${c.outcome.samplesPerSecond} samples/s (${c.outcome.words})`);
  // What failed above it is the system's ingestion.
  assert.ok(c.steps.some((s) => !s.pass && s.failed.some((f) => f.criterion === 'ingested')));
  assert.match(r.stdout, /ceiling 3[2-6]0 samples\/s/);
  // One soak for the whole ramp: one run directory, the system started once, its summary's window the whole ramp.
  const runDir = runDirOf(r.dir!);
  assert.ok(existsSync(join(r.dir!, 'capacity.html')));
  const s: Summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(s.run.stopReason, 'completed');
  const stepSeconds = c.steps.length * 5;
  assert.ok(s.run.measuredSeconds >= stepSeconds, `the summary measured ${s.run.measuredSeconds} s of ${c.steps.length} steps`);
  // The file_sd the scraper read offers the last step's exporters, not the fleet's 200.
  const sd = JSON.parse(readFileSync(join(runDir, 'file_sd.json'), 'utf8')) as unknown[];
  assert.equal(sd.length, c.steps.at(-1)!.plan.load.exporters);
});

test('capacity: a system that fails the first step exits 1 with one line naming the criterion, the step kept in capacity.json', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  // 100 samples/s offered at the first step, 50 kept.
  const r = await run(capArgs(out, 50), join(out, 'runs'));
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /first step failed.*ingested \d+(\.\d)? % of the 100 samples\/s offered/);
  const c = capacityJson(r.dir!).cores[0]!;
  assert.equal(c.outcome.kind, 'none');
  assert.equal(c.steps.length, 1);
  assert.equal(c.steps[0]!.failed[0]!.criterion, 'ingested');
});

test('capacity: Ctrl-C mid-search keeps the finished steps and writes capacity.json from them (exit 130)', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  const r = await run(capArgs(out, 10_000), join(out, 'runs'), { interruptAfter: /step #1 \(geometric\) 20 exporters[^\n]*: (pass|FAIL)/ });
  assert.equal(r.code, 130, r.stderr + r.stdout);
  const c = capacityJson(r.dir!).cores[0]!;
  assert.equal(c.outcome.kind, 'interrupted');
  assert.match(c.outcome.words, /^interrupted \(Ctrl-C\): at least \d+ samples\/s \(\d+ series\) kept$/, 'said once, as docs/capacity.md says it');
  assert.ok(c.steps.length >= 2, `${c.steps.length} steps kept`);
  assert.deepEqual(c.steps.slice(0, 2).map((s) => s.plan.load.exporters), [10, 20]);
  // The run directory is complete too.
  const runDir = runDirOf(r.dir!);
  assert.equal((JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary).run.stopReason, 'interrupted');
  assert.ok(existsSync(join(r.dir!, 'capacity.html')));
  // Nothing of the search is left running: no process has the environment the CLI was started with (the engine child inherits it).
  assert.deepEqual(leftBehind(join(out, 'runs')), [], 'processes left behind after Ctrl-C');
});

test('capacity: every flag is checked before anything starts, one line naming it, exit 2', { timeout: 60_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  const cases: [string[], RegExp][] = [
    [['--max-steps', '500'], /--max-steps must be an integer in 1\.\.200 \(got 500\)/],
    [['--max-duration', '100000'], /--max-duration must be at most 86400 s/],
    [['--memory-limit', '5XB'], /--memory-limit must be a size like 512MiB/],
    [['--predict', 'cores=3'], /--predict: 'cores=3' is not samples=/],
    [['--cores', '1,1'], /--cores lists a core count twice/],
    [['--by', 'speed'], /--by must be rate or series/],
    [['--resolution', '0'], /--resolution must be a positive number/],
    [['--start-exporters', '50', '--max-exporters', '20'], /--start-exporters 50 is more than --max-exporters 20/],
    [['--fleet', 'http://127.0.0.1:1', '--push', '2.0'], /--push with --fleet is not supported yet/],
    [['--push', 'remote-write:2'], /--push remote-write:2: the built-in engine takes remote write 1\.0 only \(it answers 415 to 2\.0\)/],
    [['--target', 'builtin', '--push', 'remote-write:2'], /--push remote-write:2: the built-in engine takes remote write 1\.0 only/],
  ];
  for (const [flags, want] of cases) {
    const r = await run(['capacity', ...flags], join(out, 'runs'), { timeoutMs: 30_000 });
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, flags.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(r.dir, undefined, `${flags.join(' ')}: nothing written`);
  }
});

test('capacity --target builtin: the engine follows each step without a restart (its scrapes per second match the step), and --memory-limit is its --max-old-space-size', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  const r = await run(['capacity', profileFile(out), '--target', 'builtin', '--start-exporters', '10', '--max-exporters', '40', '--step-warmup', '2', '--step-seconds', '4', '--max-starved', '5', '--min-ingested', '0.9', '--memory-limit', '256MiB'], join(out, 'runs'));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const c = capacityJson(r.dir!).cores[0]!;
  // 10, 20, 40 exporters: all of the fleet's offered and kept up with.
  assert.deepEqual(c.steps.map((s) => s.plan.load.exporters), [10, 20, 40]);
  assert.equal(c.outcome.kind, 'above');
  const runDir = runDirOf(r.dir!);
  const s: Summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.ok(s.run.v8Flags.includes('--max-old-space-size=256'), s.run.v8Flags.join(' '));
  // Each step's scrapes, from the engine's own frames: the step's exporters once a second.
  const frames = readFileSync(join(runDir, 'frames.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { startMs: number; endMs: number; scrapesOk: number });
  for (const st of c.steps as unknown as { startMs: number; endMs: number; plan: { load: { exporters: number } } }[]) {
    const inStep = frames.filter((f) => f.startMs >= st.startMs && f.endMs <= st.endMs);
    const perSecond = inStep.reduce((a, f) => a + f.scrapesOk, 0) / inStep.length;
    assert.ok(Math.abs(perSecond - st.plan.load.exporters) <= 0.15 * st.plan.load.exporters, `${st.plan.load.exporters} exporters: ${perSecond} scrapes/s`);
  }
});
