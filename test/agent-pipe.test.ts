import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ScrapeLog } from '../src/protocol/scrape-log.js';
import { FAILURE_REASONS } from '../src/protocol/engine-channels.js';
import { decodeDurations, encodeDurations } from '../src/protocol/agent.js';
import { readJsonLines } from '../src/run/json-lines.js';
import { threadClock } from '../src/telemetry/agent/thread-clock.js';
import { latenessFigures } from '../src/telemetry/agent/loop-delay.js';
import { MemoryReader } from '../src/telemetry/agent/memory.js';

/** What the agent takes from the engine and how its frames reach the coordinator. */

describe('ScrapeLog', () => {
  it('counts a second of scrapes by outcome and reason, keeps every duration, and starts afresh at each drain', () => {
    const log = new ScrapeLog();
    const timeout = FAILURE_REASONS.indexOf('timeout');
    for (let i = 0; i < 3000; i++) log.record(true, -1, 0.5 + i / 1000, 200, i < 10 ? 1 : 0);
    log.record(false, timeout, 10_000, 0, 0);
    const t = log.drain();
    assert.equal(t.ok, 3000);
    assert.equal(t.failed, 1);
    assert.equal(t.samples, 600_000);
    assert.equal(t.seriesAdded, 10);
    assert.equal(t.failedBy[timeout], 1);
    assert.equal(t.count, 3001, 'every duration kept, past the first array');
    assert.equal(t.durationsUs[0], 500);
    assert.equal(t.durationsUs[2999], 3499);
    assert.equal(t.durationsUs[3000], 10_000_000);
    const again = log.drain();
    assert.deepEqual([again.ok, again.failed, again.samples, again.count, again.failedBy[timeout]], [0, 0, 0, 0, 0]);
    log.record(true, -1, 0, 1, 0);
    assert.equal(log.drain().durationsUs[0], 1, 'a duration reads at least 1 µs');
  });

  it('durations cross the pipe as base64 and come back exact', () => {
    const us = new Uint32Array([1, 999, 65_536, 4_294_967_295]);
    assert.deepEqual(decodeDurations(encodeDurations(us.subarray(1, 3))), new Uint32Array([999, 65_536]));
    assert.deepEqual(decodeDurations(''), new Uint32Array(0));
  });
});

describe("the agent's once-a-second readings", () => {
  it("event-loop delay: the scrape log's wake-ups, p50/p99/max by nearest rank, in ms", () => {
    const log = new ScrapeLog();
    // 100 wake-ups: 98 on time (1 µs), one 3 ms late (the 99th of 100: p99), one 80 ms late; in no order.
    for (let i = 0; i < 100; i++) log.wake(i === 50 ? 80_000 : i === 70 ? 3_000 : 1);
    const t = log.drain();
    assert.equal(t.wakes, 100);
    assert.deepEqual(latenessFigures(t.latenessUs, t.wakes), { p50: 0.001, p99: 3, max: 80 });
    assert.equal(latenessFigures(t.latenessUs, 0), undefined, 'a second without wake-ups has no figure');
    for (let i = 0; i < 3000; i++) log.wake(7);
    assert.equal(log.drain().wakes, 3000, 'the log grows past its first array');
  });

  it('memory: the heap from V8 and the RSS from statm read what process.memoryUsage() reads', { skip: process.platform !== 'linux' ? 'needs /proc' : false }, () => {
    const m = new MemoryReader().read();
    const u = process.memoryUsage();
    assert.ok(Math.abs(m.rssBytes - u.rss) / u.rss < 0.05, `rss ${m.rssBytes} vs ${u.rss}`);
    assert.ok(Math.abs(m.totalBytes - u.heapTotal) / u.heapTotal < 0.05, `heap total ${m.totalBytes} vs ${u.heapTotal}`);
    assert.ok(m.usedBytes > 0 && m.usedBytes <= m.totalBytes);
    assert.ok(m.externalBytes > 0);
    const none = new MemoryReader('/nonexistent/statm').read();
    assert.ok(none.rssBytes > 0, 'without statm, the RSS still reads');
  });
});

describe('readJsonLines', () => {
  it('puts lines split across chunks back together, in order, and names a line that is not JSON', () => {
    const s = new PassThrough();
    const got: unknown[] = [];
    const bad: string[] = [];
    readJsonLines(s as unknown as Readable, (m) => got.push(m), (l) => bad.push(l));
    s.write('{"a":1}\n{"b"');
    s.write(':2}\n\nnot json\n{"c":');
    s.write('3}\n');
    s.end('{"d":4');
    return new Promise<void>((resolve) =>
      s.on('end', () => {
        assert.deepEqual(got, [{ a: 1 }, { b: 2 }, { c: 3 }]);
        assert.deepEqual(bad, ['not json', '{"d":4']);
        resolve();
      }),
    );
  });
});

describe('FramePipe', () => {
  it('never blocks the engine: a coordinator that stops reading gets every line later, whole and in order', async () => {
    const pipeModule = fileURLToPath(new URL('../src/telemetry/agent/frame-pipe.js', import.meta.url));
    // The child writes 400 lines of 8 KB (3.2 MB: far past what the pipe holds) while the parent
    // reads nothing, then says so over IPC; only then does the parent start reading.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { FramePipe } = await import(${JSON.stringify(pipeModule)});
         const p = FramePipe.fromEnv();
         const pad = 'x'.repeat(8192);
         for (let seq = 0; seq < 400; seq++) p.send({ seq, pad });
         process.send('sent');
         setTimeout(() => process.disconnect(), 3000);`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'], env: { ...process.env, PROMSOAK_TELEMETRY_FD: '4' } },
    );
    const stream = child.stdio[4] as Readable;
    stream.pause();
    const sent = await new Promise<unknown>((r) => child.once('message', r));
    assert.equal(sent, 'sent', 'the writes returned while nobody read the pipe');
    const seqs: number[] = [];
    let whole = true;
    readJsonLines(
      stream,
      (m) => {
        const f = m as { seq: number; pad: string };
        seqs.push(f.seq);
        whole &&= f.pad.length === 8192;
      },
      () => (whole = false),
    );
    stream.resume();
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(seqs, [...Array(400).keys()]);
    assert.ok(whole, 'every line whole');
  });

  it('is absent without PROMSOAK_TELEMETRY_FD (the agent then uses IPC)', async () => {
    const { FramePipe } = await import('../src/telemetry/agent/frame-pipe.js');
    assert.equal(FramePipe.fromEnv({}), undefined);
    assert.equal(FramePipe.fromEnv({ PROMSOAK_TELEMETRY_FD: 'x' }), undefined);
  });
});

describe('threadClock', () => {
  it("reads this thread's CPU time finely: a short spin reads about its length, a sleep next to nothing", async () => {
    const clock = threadClock();
    if (!clock.cpu) return; // not Linux: wall time, nothing to check
    const spin = (ms: number): number => {
      const w0 = performance.now();
      const c0 = clock.now();
      while (performance.now() - w0 < ms);
      return clock.now() - c0;
    };
    spin(5);
    const short = spin(0.3);
    assert.ok(short > 0 && short < 2, `a 0.3 ms spin read ${short} ms (a tick-sized step would read 0 or ≥ 1 ms)`);
    const c0 = clock.now();
    await new Promise((r) => setTimeout(r, 50));
    const slept = clock.now() - c0;
    assert.ok(slept < 10, `50 ms asleep read ${slept} ms of CPU`);
  });
});
