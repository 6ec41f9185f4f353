import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { frame, gc, meta, T0 } from './helpers/frames.js';
import { summarize } from '../src/analysis/summarize.js';
import { blame, coresOf } from '../src/analysis/gc-blame.js';
import { mergeStarved } from '../src/analysis/starvation.js';
import { renderTerminal } from '../src/report/terminal.js';

/**
 * Issue 24 part 1, on synthetic frames: a second reads "with GC" only when GC's work explains at
 * least half of what it lost, for frame and frameless seconds alike, and each second is listed once.
 */

/** 2 warm-up seconds and 12 measured at 10,000 samples/s; frame 6 is blocked for 4 s (Atomics.wait: no GC), the next carries the event-loop delay. */
function stalled(): { frames: Frame[]; events: TimedGcEvent[] } {
  const frames: Frame[] = [];
  for (let i = 0; i < 6; i++) frames.push(frame(i, 10000));
  // The blocked frame: its first second got a tenth of its samples, then 4 s with no frame (silence).
  frames.push({ ...frame(6, 1000), endMs: T0 + 11000, t: 11, eventLoop: { delayP50Ms: 1, delayP99Ms: 3994, delayMaxMs: 3994, utilization: 1 } });
  // The second after: half its samples and the loop's p99 still high; one small mark-compact in it.
  frames.push({ ...frame(11, 5000), eventLoop: { delayP50Ms: 1, delayP99Ms: 3994, delayMaxMs: 3994, utilization: 0.9 } });
  for (let i = 12; i < 16; i++) frames.push(frame(i, 10000));
  const events = [{ ...gc(11, 'mark-compact', 8.1, 1e6), incrementalMs: 2 }];
  return { frames, events };
}

test('a 4 s non-allocating stall is not GC\'s: no second reads with GC, each second once, the verdict names the stall', () => {
  const { frames, events } = stalled();
  const s = summarize(frames, events, { ...meta, cores: '0' });
  const ts = s.starvation.seconds.map((x) => x.t);
  assert.deepEqual(ts, [...new Set(ts)], `each second listed once: ${ts}`);
  assert.deepEqual(ts, [7, 8, 9, 10, 11, 12]);
  assert.equal(s.starvation.withGc, 0, JSON.stringify(s.starvation.seconds));
  assert.ok(s.starvation.seconds.every((x) => !x.withGc));
  // The second with the mark-compact lost its whole second (p99 3994 ms, at most its length); GC explains 10.1 ms of it.
  const after = s.starvation.seconds.find((x) => x.t === 12)!;
  assert.equal(after.lostMs, 1000);
  assert.equal(after.gc.explainedMs, 10.1);
  assert.equal(after.gc.markCompacts, 1);
  const v = s.verdict.join('\n');
  assert.match(v, /GC explains 0\.0 of the 6\.0 s lost/);
  assert.match(v, /no second reads as GC's; the biggest stall, 6 s from t=7 s \(6\.0 s lost, 10\.1 ms of GC work in it\), was not GC's\./);
  assert.doesNotMatch(v, /had GC at work/);
  assert.equal(s.starvation.lostSeconds, 6);
  assert.equal(s.starvation.gcExplainedSeconds, 0.01);
  const term = renderTerminal(s, '/d');
  assert.match(term, /6 s starved, 0 with GC \(GC explains 0\.01 of 6 s lost\)/);
  assert.match(term, /t=  12s\s+5000\/s  -50%  1 mark-compact, 0 scavenges, 8\.1 ms paused, 0 ms background, 1\.0 MB allocated, GC explains 10 of 1000 ms lost  \(not GC\)/);
});

test('GC-bound seconds read with GC: pauses that explain at least half of what each second lost', () => {
  // Seconds 5 and 9 lose 60 % of their samples (600 ms) to a 400 ms mark-compact + 100 ms of incremental marking.
  const frames = Array.from({ length: 12 }, (_, i) => frame(i, i === 5 || i === 9 ? 4000 : 10000));
  const events = [5, 9].map((i) => ({ ...gc(i, 'mark-compact', 400, 1e6), incrementalMs: 100 }));
  const s = summarize(frames, events, { ...meta, cores: '0' });
  assert.deepEqual(s.starvation.seconds.map((x) => [x.t, x.withGc, x.lostMs, x.gc.explainedMs]), [
    [6, true, 600, 500],
    [10, true, 600, 500],
  ]);
  assert.match(s.verdict.join('\n'), /GC explains 1\.0 of the 1\.2 s lost .*2 seconds read as GC's/);
  assert.doesNotMatch(s.verdict.join('\n'), /was not GC's/);
});

test("helper-thread GC counts only where it competed for the engine's cores", () => {
  // Second 5 loses half its samples (500 ms); 10 ms paused and 400 ms of helper-thread GC (the helpers' CPU 0.5 cores).
  const busy = (total: number): Partial<Frame> => ({ cpu: { total, user: total, system: 0, main: 0.5, v8Platform: 0.5, worker: 0, other: 0 } });
  const run = (total: number): boolean => {
    const frames = Array.from({ length: 10 }, (_, i) => frame(i, i === 5 ? 5000 : 10000, i === 5 ? busy(total) : {}));
    const s = summarize(frames, [gc(5, 'mark-compact', 10, 1e6, 400)], { ...meta, cores: '0' });
    assert.equal(s.starvation.seconds.length, 1);
    return s.starvation.seconds[0]!.withGc;
  };
  assert.equal(run(1.0), true, 'the engine used its one core: the helpers took it from the engine');
  assert.equal(run(0.6), false, 'a core to spare: the helpers ran beside the engine');
});

test('a silent second with a long main-thread pause is GC\'s; a short one in it is not', () => {
  const frames = [0, 1, 2, 3, 4, 5].map((i) => frame(i, 10000));
  // 2 s with no frame between frames 5 and 6.
  const later = [6, 7, 8].map((i) => ({ ...frame(i + 2, 10000), t: i + 3 }));
  const pause = (ms: number): TimedGcEvent => ({ ...gc(6, 'mark-compact', ms, 0), wallMs: T0 + 6900 });
  for (const [ms, withGc] of [[700, true], [30, false]] as const) {
    const s = summarize([...frames, ...later], [pause(ms)], meta);
    const silent = s.starvation.seconds.filter((x) => x.noFrame);
    assert.equal(silent.length, 2);
    assert.equal(silent[0]!.withGc, withGc, `${ms} ms paused: ${JSON.stringify(silent[0])}`);
    assert.equal(silent[1]!.withGc, false);
  }
});

test('blame and coresOf', () => {
  assert.deepEqual(blame(1000, 8.1), { lostMs: 1000, explainedMs: 8.1, withGc: false });
  assert.deepEqual(blame(400, 900), { lostMs: 400, explainedMs: 400, withGc: true });
  assert.equal(blame(0, 0).withGc, false);
  assert.equal(coresOf('0-3,6'), 5);
  assert.equal(coresOf('2'), 1);
  // Unpinned: the machine the run ran on, not the one report runs on.
  assert.equal(coresOf(null, 'AMD EPYC 7B13 x16'), 16);
  assert.equal(coresOf(null, 'unknown x64'), 64);
});

test('a frame that ends over 250 ms after the window\'s end is not judged: its GC was cut at the end (a real naive soak read it as the biggest stall, "not GC\'s")', () => {
  // 12 measured seconds; the soak ended the window at t=12 s, and one more frame arrived (the
  // coordinator fell behind) holding the full GC that measures live memory, which is not counted.
  const frames = Array.from({ length: 13 }, (_, i) => frame(i, i === 12 ? 3000 : 10000));
  const windowEndMs = frames[11]!.endMs;
  const s = summarize(frames, [{ ...gc(12, 'mark-compact', 600, 1e6) }], { ...meta, cores: '0', windowEndMs });
  assert.deepEqual(s.starvation.seconds, [], JSON.stringify(s.starvation.seconds));
  assert.doesNotMatch(s.verdict.join('\n'), /was not GC's/);
  // Nor one that straddles the end, most of it after (it began 72 ms before the end in the real soak).
  const straddling = summarize(frames, [], { ...meta, cores: '0', windowEndMs: frames[12]!.startMs + 72 });
  assert.deepEqual(straddling.starvation.seconds, []);
  // The same frame inside the window (or ending within 250 ms of its end) is judged, and without its GC it is not GC's.
  const inside = summarize(frames, [], { ...meta, cores: '0', windowEndMs: frames[12]!.endMs - 200 });
  assert.equal(inside.starvation.seconds.length, 1);
});

test('two starved seconds that round to one t are listed once, with both losses (and what GC explains of them) kept', () => {
  const second = (lostMs: number, explainedMs: number, withGc: boolean) => ({ t: 10, samples: 0, deficitPct: 50, eventLoopDelayP99Ms: null, cpuCores: 1, lostMs, gc: { count: 1, markCompacts: 0, scavenges: 1, pauseMs: explainedMs, backgroundMs: 0, allocatedBytes: 0, explainedMs }, withGc });
  const merged = mergeStarved([second(400, 300, true)], [{ ...second(300, 0, false), noFrame: true }]);
  assert.equal(merged.length, 1);
  assert.equal(merged[0]!.lostMs, 700);
  assert.equal(merged[0]!.gc.explainedMs, 300);
  assert.equal(merged[0]!.withGc, false, '300 of 700 ms is under half');
  // A second loses at most itself.
  assert.equal(mergeStarved([second(800, 0, false)], [second(900, 0, false)])[0]!.lostMs, 1000);
});
