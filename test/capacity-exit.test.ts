import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCode } from '../src/commands/capacity.js';
import type { CapacityRun, OutcomeLike } from '../src/capacity/run.js';

const runOf = (...outcomes: OutcomeLike[]): CapacityRun => ({ interrupted: false, perCores: outcomes.map((outcome, k) => ({ cores: k + 1, runDir: null, steps: [], outcome, soakExitCode: 0 })) }) as unknown as CapacityRun;

test('capacity exit: a generator that ran out at the first step (no load measured) exits 1 as a failed first step does; "at least X" exits 0', () => {
  assert.equal(exitCode(runOf({ kind: 'ceiling', samplesPerSecond: 1000 })), 0);
  assert.equal(exitCode(runOf({ kind: 'generator', samplesPerSecond: 64_000 })), 0, 'a bound: at least 64k');
  assert.equal(exitCode(runOf({ kind: 'ceiling', samplesPerSecond: 1000 }, { kind: 'generator', samplesPerSecond: null })), 1, 'nothing measured at 2 cores');
  assert.equal(exitCode(runOf({ kind: 'none', samplesPerSecond: null })), 1);
  assert.equal(exitCode({ ...runOf({ kind: 'generator', samplesPerSecond: null }), interrupted: true }, 'SIGINT'), 130);
});
