import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TIMER_SECONDS, port, positiveInt, seconds } from '../src/common/options.js';
import { resolveEngineOptions } from '../src/engine/engine.js';
import { checkCapacity, FLEET_BYTES_PER_EXPORTER } from '../src/fleet/capacity.js';
import { loadProfile, parseProfile } from '../src/profile/load.js';
import { CLI } from './helpers/tools.js';

/**
 * Durations, timeouts and intervals end in a Node timer, which cannot wait past 2^31−1 ms
 * (~24.8 days: a longer one fires at once); counts and sizes end in allocations. Each flag
 * is checked before anything starts: one line naming it, exit 2.
 */

function cli(args: string[], cwd = tmpdir()): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const c = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => c.kill('SIGKILL'), 20_000);
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d) => (stdout += d));
  c.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) =>
    c.on('exit', (status) => {
      clearTimeout(killer);
      r({ status, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
}

const oneLine = (r: { stderr: string }): void => assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
const scratch = (): string => mkdtempSync(join(tmpdir(), 'promsoak-bounds-'));

describe('timers: every duration, timeout and interval flag', () => {
  it('seconds(): finite, > 0 (>= 0 where 0 means none), at most what a timer can wait', () => {
    assert.equal(MAX_TIMER_SECONDS, 2_147_483);
    assert.equal(seconds('--d', undefined), undefined);
    assert.equal(seconds('--d', 2_147_483), 2_147_483);
    assert.equal(seconds('--w', 0, { zero: true }), 0);
    assert.throws(() => seconds('--d', 0), /^PromsoakError: --d must be a number of seconds > 0 \(got 0\)$/);
    assert.throws(() => seconds('--d', -5), /--d must be a number of seconds > 0 \(got -5\)/);
    assert.throws(() => seconds('--d', Number.NaN), /--d must be a number of seconds > 0 \(got NaN\)/);
    assert.throws(() => seconds('--d', Infinity), /--d must be a number of seconds > 0 \(got Infinity\)/);
    assert.throws(() => seconds('--w', -1, { zero: true }), /--w must be a number of seconds >= 0 \(got -1\)/);
    assert.throws(() => seconds('--d', 1e12), /--d must be at most 2147483 s \(~24\.8 days, the longest a timer waits\) \(got 1000000000000\)/);
    // A smaller stated maximum, never a larger one.
    assert.throws(() => seconds('--i', 86_401, { max: 86_400 }), /--i must be at most 86400 s \(a day\)/);
    assert.throws(() => seconds('--x', 3e6, { max: 1e12 }), /--x must be at most 2147483 s/);
  });

  it('fleet --duration 1e12 (stopped at once, exit 0) and engine --duration -5 (ran 0 s, exit 0): exit 2, nothing started', async () => {
    const out = scratch();
    const f = await cli(['fleet', 'smoke', '--duration', '1e12', '--out', out]);
    assert.equal(f.status, 2, f.stderr);
    assert.match(f.stderr, /^promsoak: --duration must be at most 2147483 s \(~24\.8 days, the longest a timer waits\) \(got 1000000000000\)\n$/);
    assert.equal(f.stdout, '', 'no fleet was started');
    assert.deepEqual(readdirSync(out), [], 'no file_sd.json written');
    const sd = join(out, 'sd.json');
    writeFileSync(sd, JSON.stringify([{ targets: ['127.0.0.1:9'], labels: { job: 'x' } }]));
    for (const d of ['-5', '0', '1e12']) {
      const e = await cli(['engine', '--targets', sd, '--duration', d]);
      assert.equal(e.status, 2, `--duration ${d}: ${e.stderr}`);
      assert.match(e.stderr, /^promsoak: --duration must be /);
      oneLine(e);
      assert.doesNotMatch(e.stderr, /promsoak engine/, 'the engine did not start');
    }
  });

  it('parse <url> --timeout 1e12 (aborted at once, exit 1): exit 2, naming --timeout', async () => {
    const r = await cli(['parse', 'http://127.0.0.1:9/metrics', '--timeout', '1e12']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: --timeout must be at most 2147483 s/);
    oneLine(r);
  });

  it('engine: --interval and --timeout past a day, --metrics-port past 65535', () => {
    assert.throws(() => resolveEngineOptions({ targetsFile: 'x', intervalSeconds: 1e12 }), /--interval must be at most 86400 s \(a day\)/);
    assert.throws(() => resolveEngineOptions({ targetsFile: 'x', timeoutSeconds: -1 }), /--timeout must be a number of seconds > 0 \(got -1\)/);
    // Before: accepted, and listen() threw a RangeError (a stack, exit 1).
    assert.throws(() => resolveEngineOptions({ targetsFile: 'x', metricsPort: 70_000 }), /--metrics-port must be an integer in 0\.\.65535 \(got 70000\)/);
    assert.throws(() => port('--p', -1), /--p must be an integer in 0\.\.65535/);
  });

  it("a profile's slow fault past a day (its setTimeout fired at once: not slow at all) names the field", () => {
    const text = (maxMs: number): string => JSON.stringify({ exporters: 1, faults: { slow: { fraction: 0.5, minMs: 0, maxMs } }, families: [{ name: 'x', type: 'gauge' }] });
    assert.throws(() => parseProfile(text(1e12), 'p.json'), /^ProfileError: p\.json: profile\.faults\.slow\.maxMs must be a number in 0\.\.86400000 \(a day\) \(got 1000000000000\)$/);
    assert.equal(parseProfile(text(86_400_000), 'p.json').faults.slow?.maxMs, 86_400_000);
  });

  it('compare: --duration, --warmup, --find-cores figures and --exporters are checked before the compare directory is made', async () => {
    const out = scratch();
    for (const [args, why] of [
      [['--duration', '-1'], /--duration must be a number of seconds > 0 \(got -1\)/],
      [['--duration', '1', '--warmup', '-1'], /--warmup must be a number of seconds >= 0 \(got -1\)/],
      [['--duration', '1e12'], /--duration \+ --warmup must be at most 604800 s/],
      [['--duration', '1', '--find-cores', '--max-cpu', '5'], /--max-cpu must be at most 1 \(got 5\)/],
      [['--duration', '1', '--exporters', '1e9'], /^promsoak: profile smoke: 1,000,000,000 exporters × \d+ series = [\d,]+ series, about [\d.]+ GiB for the fleet and the engine's head/],
    ] as const) {
      const r = await cli(['compare', 'smoke', ...args, '--out', out]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      oneLine(r);
      assert.deepEqual(readdirSync(out), [], `${args.join(' ')}: no compare directory`);
    }
  });
});

describe('sizes: fleet checks them as run does', () => {
  it('fleet smoke --exporters 1e9 (a V8 abort after ~19 s): one line with the estimate, exit 2, at once', async () => {
    const out = scratch();
    const r = await cli(['fleet', 'smoke', '--exporters', '1e9', '--duration', '1', '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: profile smoke: 1,000,000,000 exporters × \d+ series = [\d,]+ series, about [\d.]+ GiB for its \d+ fleet threads and its exporters' targets; this machine has/);
    oneLine(r);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    assert.ok(!existsSync(join(out, 'file_sd.json')), 'nothing started');
  });

  it("the fleet's footprint counts the exporters it serves (a shard: only its own)", () => {
    const p = loadProfile('smoke');
    p.exporters = 1_000_000;
    const limit = 2 ** 30;
    // A million exporters' targets: ~1 GiB, past 80 % of a 1 GiB machine.
    assert.throws(() => checkCapacity(p, 1, undefined, limit), /1,000,000 exporters/);
    const shard = checkCapacity(p, 1, undefined, limit, { index: 0, count: 100 });
    const whole = checkCapacity({ ...p, exporters: 10_000 }, 1, undefined, limit);
    assert.equal(shard.fleetBytes, whole.fleetBytes, 'shard 0/100 of a million holds what a fleet of 10,000 does');
    assert.equal(checkCapacity({ ...p, exporters: 2 }, 1, undefined, limit).fleetBytes - checkCapacity({ ...p, exporters: 1 }, 1, undefined, limit).fleetBytes, FLEET_BYTES_PER_EXPORTER);
  });

  it('fleet --threads past 256, and integers past 2^53 for any count', async () => {
    const r = await cli(['fleet', 'smoke', '--threads', '100000', '--duration', '1', '--out', scratch()]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: --threads must be an integer in 1\.\.256 \(got 100000\)\n$/);
    assert.throws(() => positiveInt('--n', 1e300), /--n must be a positive integer \(got 1e\+300\)/);
  });
});
