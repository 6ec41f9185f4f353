import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoGcTraceReader, parseGcTraceLine, type GoGcCycle } from '../src/telemetry/go-gctrace.js';
import { TESTDATA } from './helpers/tools.js';

const MIB = 2 ** 20;
const FIXTURES = ['gctrace-prometheus-2.42.log', 'gctrace-victoria-metrics.log'];
const read = (name: string): Buffer => readFileSync(join(TESTDATA, name));

/** Feeds a whole stream in chunks of `size` bytes; returns what the reader handed out. */
function readAll(data: Buffer, size: number): { cycles: GoGcCycle[]; other: string[]; malformed: number } {
  const cycles: GoGcCycle[] = [];
  const other: string[] = [];
  const r = new GoGcTraceReader((c) => cycles.push(c), (l) => other.push(l));
  for (let i = 0; i < data.length; i += size) r.push(data.subarray(i, i + size));
  r.end();
  return { cycles, other, malformed: r.malformed };
}

test('every field of a real gc line (prometheus 2.42, go1.19)', () => {
  const line = 'gc 4 @0.027s 8%: 0.081+2.2+0.040 ms clock, 0.16+0.66/1.0/0.53+0.081 ms cpu, 7->8->7 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P';
  assert.ok(read(FIXTURES[0]!).toString('utf8').includes(line + '\n'), 'the line is from the fixture');
  assert.deepEqual(parseGcTraceLine(line), {
    cycle: 4,
    atSeconds: 0.027,
    cpuPercentSinceStart: 8,
    forced: false,
    clockMs: { sweepTerm: 0.081, mark: 2.2, markTerm: 0.04 },
    cpuMs: { sweepTerm: 0.16, assist: 0.66, background: 1.0, idle: 0.53, markTerm: 0.081 },
    heapBeforeBytes: 7 * MIB,
    heapAfterBytes: 8 * MIB,
    heapLiveBytes: 7 * MIB,
    heapGoalBytes: 8 * MIB,
    stacksBytes: 0,
    globalsBytes: 0,
    procs: 2,
  });
});

test('a forced cycle with whole-millisecond phases; the go1.17 form without stacks and globals', () => {
  // Made by hand in the printing's shape (runtime.GC() appends " (forced)"; phases ≥ 10 ms print whole).
  const forced = parseGcTraceLine('gc 120 @3601.250s 3%: 0.030+25+0.11 ms clock, 0.24+1.2/48/12+0.88 ms cpu, 512->530->200 MB, 540 MB goal, 1 MB stacks, 2 MB globals, 8 P (forced)');
  assert.ok(forced);
  assert.equal(forced.forced, true);
  assert.equal(forced.clockMs.mark, 25);
  assert.equal(forced.cpuMs.background, 48);
  assert.equal(forced.heapGoalBytes, 540 * MIB);
  assert.equal(forced.stacksBytes, MIB);
  assert.equal(forced.globalsBytes, 2 * MIB);
  assert.equal(forced.procs, 8);
  // go1.17's runtime/extern.go documents the line without "MB stacks, MB globals".
  const old = parseGcTraceLine('gc 1 @0.015s 0%: 0.015+0.36+0.043 ms clock, 0.18+0.55/0.64/0.13+0.52 ms cpu, 4->4->0 MB, 5 MB goal, 12 P');
  assert.ok(old);
  assert.equal(old.stacksBytes, null);
  assert.equal(old.globalsBytes, null);
  assert.equal(old.heapLiveBytes, 0);
  assert.equal(old.procs, 12);
});

test('not gc lines → null: log lines, the scavenger, truncated or damaged gc lines (no throw)', () => {
  const full = 'gc 14 @18.744s 0%: 0.029+3.1+0.004 ms clock, 0.058+0.087/1.6/3.5+0.009 ms cpu, 17->17->9 MB, 20 MB goal, 0 MB stacks, 0 MB globals, 2 P';
  assert.ok(parseGcTraceLine(full));
  for (let cut = 0; cut < full.length; cut++) assert.equal(parseGcTraceLine(full.slice(0, cut)), null, `cut at ${cut}`);
  // A log line written in the middle of the gc line (each piece of it is its own write(2)).
  assert.equal(parseGcTraceLine(full.replace('3.1+', '3.1ts=2026-11-30T11:52:16.885Z level=info msg=x +')), null);
  assert.equal(parseGcTraceLine('scvg: 0 MB released'), null);
  assert.equal(parseGcTraceLine('scav 1 KiB work, 0 KiB total, 50% util'), null);
  assert.equal(parseGcTraceLine('ts=2026-11-30T11:52:16.885Z caller=main.go:823 level=warn msg="Received SIGTERM, exiting gracefully..."'), null);
  assert.equal(parseGcTraceLine(''), null);
});

for (const name of FIXTURES) {
  test(`${name}: every gc line parsed, every log line passed through in order, whatever the chunking`, () => {
    const data = read(name);
    const lines = data.toString('utf8').split('\n');
    assert.equal(lines.pop(), '', 'the capture ends with a newline');
    const gcLines = lines.filter((l) => /^gc \d+ @/.test(l));
    assert.ok(gcLines.length >= 10, `${gcLines.length} gc lines`);
    const whole = readAll(data, data.length);
    assert.equal(whole.cycles.length, gcLines.length, 'no gc line lost');
    assert.equal(whole.malformed, 0);
    assert.deepEqual(whole.other, lines.filter((l) => !/^gc \d+ @/.test(l)));
    assert.ok(whole.other.length >= 10, 'the program logs among its gc lines');
    // Cycles come numbered 1, 2, 3, … at non-decreasing times since the program started.
    whole.cycles.forEach((c, i) => assert.equal(c.cycle, i + 1));
    for (let i = 1; i < whole.cycles.length; i++) assert.ok(whole.cycles[i]!.atSeconds >= whole.cycles[i - 1]!.atSeconds);
    // Chunks that split lines and UTF-8 characters (prometheus logs "µs") anywhere.
    for (const size of [1, 2, 3, 7, 64, 4093]) assert.deepEqual(readAll(data, size), whole, `chunks of ${size} bytes`);
  });
}

test('a gc line damaged by an interleaved write goes to the log, counted as malformed', () => {
  const other: string[] = [];
  const r = new GoGcTraceReader(() => assert.fail('no cycle'), (l) => other.push(l));
  r.push(Buffer.from('gc 3 @0.024s 8%: 0.62+2.9level=info msg=hi\n+0.004 ms clock, …\n'));
  r.end();
  assert.equal(r.malformed, 1);
  assert.deepEqual(other, ['gc 3 @0.024s 8%: 0.62+2.9level=info msg=hi', '+0.004 ms clock, …']);
});

test('the last line without a newline is read at end(); arrival time is the wall clock of its chunk', () => {
  const got: [GoGcCycle, number][] = [];
  const r = new GoGcTraceReader((c, at) => got.push([c, at]), () => {});
  const before = Date.now();
  r.push(Buffer.from('gc 1 @0.010s 1%: 0.078+2.8+0.027 ms clock, 0.15+0/0.22/2.2+0.054 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P'));
  assert.equal(got.length, 0, 'not a whole line yet');
  r.end();
  assert.equal(got.length, 1);
  assert.equal(got[0]![0].cpuMs.assist, 0);
  assert.ok(got[0]![1] >= before && got[0]![1] <= Date.now());
});
