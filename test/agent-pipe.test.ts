import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ScrapeLog } from '../src/protocol/scrape-log.js';
import { FAILURE_REASONS } from '../src/protocol/engine-channels.js';
import { decodeFrame, FAILED_BY, FIELD, FRAME_FIELD_BYTES, FRAME_FLOATS, jsonRecord, RECORD_FRAME, RECORD_HEADER_BYTES, recordHeader } from '../src/protocol/frame-wire.js';
import { readAgentPipe, RecordSplitter } from '../src/run/agent-pipe.js';
import { PassThrough } from 'node:stream';
import type { FromAgent } from '../src/protocol/agent.js';
import { apportion, latenessFigures, toAgentFrame } from '../src/run/agent-frame.js';
import { EngineProcReader } from '../src/run/engine-proc.js';
import { threadClock } from '../src/telemetry/agent/thread-clock.js';

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

});

/** A frame record as the agent writes it: the fields, then the durations, then the lateness values. */
function frameRecord(set: (f: Float64Array) => void, durations: number[], lateness: number[]): Buffer {
  const f = new Float64Array(FRAME_FLOATS);
  set(f);
  f[FIELD.durations] = durations.length;
  f[FIELD.wakes] = lateness.length;
  const body = Buffer.concat([Buffer.from(f.buffer), Buffer.from(new Uint32Array(durations).buffer), Buffer.from(new Uint32Array(lateness).buffer)]);
  return Buffer.concat([recordHeader(Buffer.alloc(RECORD_HEADER_BYTES), body.length, RECORD_FRAME), body]);
}

describe('the frame on the wire', () => {
  it('decodes to the frame the coordinator records: figures, GC by kind, failures by reason, durations, delay from the lateness values, the threads it read', () => {
    const rec = frameRecord(
      (f) => {
        f[FIELD.startMs] = 1000;
        f[FIELD.endMs] = 2000;
        f[FIELD.samples] = 40_000;
        f[FIELD.scrapesOk] = 199;
        f[FIELD.scrapesFailed] = 1;
        f[FIELD.series] = 200_000;
        f[FIELD.agentMs] = 0.25;
        f[FIELD.cpuUser] = 0.03;
        f[FIELD.cpuSystem] = 0.01;
        f[FIELD.gcCount] = 3;
        f[FIELD.gcPauseMs] = 4.5;
        f[FIELD.scavengeCount] = 2;
        f[FIELD.scavengePauseMs] = 1.5;
        f[FIELD.markCompactCount] = 1;
        f[FIELD.markCompactPauseMs] = 3;
        f[FIELD.heapUsedBytes] = 20e6;
        f[FIELD.eluUtilization] = 0.04;
        f[FIELD.delayP50Ms] = f[FIELD.delayP99Ms] = f[FIELD.delayMaxMs] = NaN;
        f[FAILED_BY + FAILURE_REASONS.indexOf('timeout')] = 1;
      },
      [500, 4_294_967_295],
      [1, 3000, 80_000],
    );
    assert.equal(rec.readUInt32LE(0), FRAME_FIELD_BYTES + 5 * 4);
    const w = decodeFrame(rec.subarray(RECORD_HEADER_BYTES));
    const a = toAgentFrame(w, { main: 0.025, v8Platform: 0.005, worker: 0, rssBytes: 90e6 });
    assert.deepEqual([a.startMs, a.endMs, a.samples, a.scrapesOk, a.scrapesFailed, a.series, a.agentMs], [1000, 2000, 40_000, 199, 1, 200_000, 0.25]);
    assert.deepEqual(a.scrapesFailedByReason, { timeout: 1 });
    assert.deepEqual(a.gcObserved, { count: 3, pauseMs: 4.5, byKind: { scavenge: { count: 2, pauseMs: 1.5 }, 'mark-compact': { count: 1, pauseMs: 3 } } });
    assert.deepEqual([...a.scrapeDurationsUs], [500, 4_294_967_295]);
    assert.deepEqual(a.eventLoop, { delayP50Ms: 3, delayP99Ms: 80, delayMaxMs: 80, utilization: 0.04 });
    assert.equal(a.heap.rssBytes, 90e6);
    assert.ok(Math.abs(a.cpu.total - 0.04) < 1e-12);
    assert.ok(Math.abs(a.cpu.other! - 0.01) < 1e-12, 'other: the process total less the threads read');
    const none = toAgentFrame(w, undefined);
    assert.deepEqual([none.cpu.main, none.cpu.other, none.heap.rssBytes], [null, null, 0], 'no /proc reading: no classes, no RSS');
  });

  it("takes the agent's own delay figures when it sends no lateness values (PROMSOAK_ELD_RESOLUTION_MS), and none when neither", () => {
    const own = decodeFrame(frameRecord((f) => ((f[FIELD.delayP50Ms] = 0.5), (f[FIELD.delayP99Ms] = 2), (f[FIELD.delayMaxMs] = 9)), [], []).subarray(RECORD_HEADER_BYTES));
    assert.deepEqual(toAgentFrame(own, undefined).eventLoop, { delayP50Ms: 0.5, delayP99Ms: 2, delayMaxMs: 9, utilization: 0 });
    const neither = decodeFrame(frameRecord((f) => (f[FIELD.delayP50Ms] = NaN), [], []).subarray(RECORD_HEADER_BYTES));
    assert.equal(toAgentFrame(neither, undefined).eventLoop!.delayP50Ms, 0);
  });

  it('shares one /proc reading among frames that arrived together by the CPU each had (a coordinator that fell behind)', () => {
    const wire = (startMs: number, cpuUser: number): ReturnType<typeof decodeFrame> =>
      decodeFrame(frameRecord((f) => ((f[FIELD.startMs] = startMs), (f[FIELD.endMs] = startMs + 1000), (f[FIELD.cpuUser] = cpuUser)), [], []).subarray(RECORD_HEADER_BYTES));
    const reading = { main: 0.3, v8Platform: 0.1, worker: 0, rssBytes: 5e6 };
    const [a, b] = apportion(reading, [wire(0, 0.3), wire(1000, 0.1)]);
    assert.ok(Math.abs(a!.main - 0.225) < 1e-12 && Math.abs(b!.main - 0.075) < 1e-12, `${a!.main} ${b!.main}`);
    assert.ok(Math.abs(a!.v8Platform - 0.075) < 1e-12 && Math.abs(b!.v8Platform - 0.025) < 1e-12);
    assert.equal(b!.rssBytes, 5e6);
    const [one] = apportion(reading, [wire(0, 0)]);
    assert.ok(Math.abs(one!.main - 0.3) < 1e-12, 'one frame: all of it, over its own window; no CPU reported: by window');
  });

  it("keeps the GC fields together, as the agent zeroes them in one range", () => {
    const gc = ['gcCount', 'gcPauseMs', 'scavengeCount', 'scavengePauseMs', 'markCompactCount', 'markCompactPauseMs', 'otherGcCount', 'otherGcPauseMs'] as const;
    assert.deepEqual(gc.map((k) => FIELD[k] - FIELD.gcCount), [...gc.keys()]);
  });

  it('refuses a frame whose length does not match its counts, naming both', () => {
    const rec = frameRecord(() => {}, [1, 2], []);
    assert.throws(() => decodeFrame(rec.subarray(RECORD_HEADER_BYTES, rec.length - 4)), /a frame record of \d+ bytes, for 2 durations and 0 wake-ups/);
    assert.throws(() => decodeFrame(Buffer.alloc(16)), /its fields alone are/);
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

  it("the engine's threads and RSS, read from outside: a thread's spin reads as its CPU, the RSS as process.memoryUsage() reads it", { skip: process.platform !== 'linux' ? 'needs /proc' : false }, () => {
    // This process stands in for the engine: its own pid, its threads now as the startup ones.
    const r = EngineProcReader.open(process.pid, readdirSync('/proc/self/task').map(Number))!;
    const w0 = performance.now();
    while (performance.now() - w0 < 200);
    const got = r.read()!;
    assert.ok(got.main > 0.1 && got.main < 0.3, `a 200 ms spin read ${got.main} s of the main thread's CPU`);
    const rss = process.memoryUsage.rss();
    assert.ok(Math.abs(got.rssBytes - rss) / rss < 0.05, `rss ${got.rssBytes} vs ${rss}`);
    r.close();
    assert.equal(EngineProcReader.open(2 ** 22 + 1, []), undefined, 'no such process: no reader, no throw');
  });
});

describe('RecordSplitter', () => {
  it('gives back every record whole and in order, whatever the chunks, and stops at a header the agent could not have written', () => {
    const records = [jsonRecord({ a: 1 }), frameRecord(() => {}, [7, 8, 9], [1]), jsonRecord({ b: 'é' })];
    const bytes = Buffer.concat(records);
    for (const step of [1, 3, 8, 13, bytes.length]) {
      const got: Array<[number, number]> = [];
      const bad: string[] = [];
      const s = new RecordSplitter((kind, payload) => got.push([kind, payload.length]), (w) => bad.push(w));
      for (let i = 0; i < bytes.length; i += step) s.push(bytes.subarray(i, i + step));
      s.end();
      assert.deepEqual(got, records.map((r) => [r.readUInt32LE(4), r.length - RECORD_HEADER_BYTES]), `chunks of ${step}`);
      assert.deepEqual(bad, []);
    }
    const bad: string[] = [];
    const got: number[] = [];
    const s = new RecordSplitter((kind) => got.push(kind), (w) => bad.push(w));
    s.push(Buffer.concat([jsonRecord({ a: 1 }), recordHeader(Buffer.alloc(8), 10, 77), jsonRecord({ b: 2 })]));
    assert.deepEqual(got, [1], 'the records before the bad header only');
    assert.match(bad[0]!, /kind 77, 10 bytes\); the rest of the pipe is not read/);
    const cut = new RecordSplitter(() => {}, (w) => bad.push(w));
    cut.push(jsonRecord({ a: 1 }).subarray(0, 12));
    cut.end();
    assert.match(bad[1]!, /ended inside a record \(12 bytes left\)/);
  });
});

describe('readAgentPipe', () => {
  it('holds frames that arrive late (a coordinator that fell behind) until one arrives on time, then shares one /proc reading among them', { skip: process.platform !== 'linux' ? 'needs /proc' : false }, async () => {
    const stream = new PassThrough();
    const got: FromAgent[] = [];
    const bad: string[] = [];
    const clock = 100_000;
    readAgentPipe(stream, (m) => got.push(m), (w) => bad.push(w), () => clock);
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    // This process stands in for the engine.
    stream.write(jsonRecord({ type: 'telemetry-hello', pid: process.pid, timeOriginMs: 0, startupTids: readdirSync('/proc/self/task').map(Number) } satisfies FromAgent));
    const frame = (endMs: number): Buffer => frameRecord((f) => ((f[FIELD.startMs] = endMs - 1000), (f[FIELD.endMs] = endMs), (f[FIELD.cpuUser] = 0.5)), [], []);
    const w0 = performance.now();
    while (performance.now() - w0 < 150); // main-thread CPU for the reading to share
    // Three frames that ended 3, 2 and 1 s ago (they waited), each in a chunk of its own.
    for (const ago of [3000, 2000, 1000]) {
      stream.write(frame(clock - ago));
      await tick();
    }
    assert.equal(got.filter((m) => m.type === 'telemetry').length, 0, 'late frames are held');
    stream.write(frame(clock - 5));
    await tick();
    const frames = got.flatMap((m) => (m.type === 'telemetry' ? [m.frame] : []));
    assert.equal(frames.length, 4, 'all four out at the on-time one');
    assert.ok(frames.every((f) => f.cpu.main! > 0.02), `each has its share: ${frames.map((f) => f.cpu.main)}`);
    const shared = frames.reduce((a, f) => a + f.cpu.main!, 0);
    assert.ok(shared > 0.1 && shared < 0.5, `the reading, ${shared} s, shared out (each frame 1 s)`);
    // A coordinator always behind still gets its frames: at most 30 are held.
    for (let i = 0; i < 30; i++) stream.write(frame(clock - 10_000 + i));
    await tick();
    assert.equal(got.filter((m) => m.type === 'telemetry').length, 34);
    stream.write(frame(clock - 9_000));
    stream.end();
    await tick();
    assert.equal(got.filter((m) => m.type === 'telemetry').length, 35, 'a frame still held when the pipe ends goes out');
    assert.deepEqual(bad, []);
  });
});

describe('FramePipe', () => {
  it('never blocks the engine: a coordinator that stops reading gets every record later, whole and in order', async () => {
    const pipeModule = fileURLToPath(new URL('../src/telemetry/agent/frame-pipe.js', import.meta.url));
    const wireModule = fileURLToPath(new URL('../src/protocol/frame-wire.js', import.meta.url));
    // The child writes 400 records of 8 KB (3.2 MB: far past what the pipe holds) while the parent
    // reads nothing, then says so over IPC; only then does the parent start reading.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { FramePipe } = await import(${JSON.stringify(pipeModule)});
         const { jsonRecord } = await import(${JSON.stringify(wireModule)});
         const p = FramePipe.fromEnv();
         const pad = 'x'.repeat(8192);
         for (let seq = 0; seq < 400; seq++) p.send([jsonRecord({ seq, pad })]);
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
    const splitter = new RecordSplitter(
      (_kind, payload) => {
        const f = JSON.parse(payload.toString('utf8')) as { seq: number; pad: string };
        seqs.push(f.seq);
        whole &&= f.pad.length === 8192;
      },
      () => (whole = false),
    );
    stream.on('data', (c: Buffer) => splitter.push(c));
    stream.resume();
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(seqs, [...Array(400).keys()]);
    assert.ok(whole, 'every record whole');
  });

  it('is absent without PROMSOAK_TELEMETRY_FD (the agent then sends no frames)', async () => {
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
