import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { DueQueue } from '../src/engine/due-queue.js';
import { ScrapeLog } from '../src/protocol/scrape-log.js';
import { TargetStatusTable } from '../src/engine/target-status.js';

describe('DueQueue', () => {
  it('fires every loop once it is due, earliest first, behind one timer', async () => {
    const n = 500;
    const fired: { i: number; at: number; now: number }[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const q = new DueQueue(n, (i, now) => {
      fired.push({ i, at: q.at[i]!, now });
      if (fired.length === n) done();
    });
    const t0 = performance.now();
    let seed = 1;
    for (let i = 0; i < n; i++) q.schedule(i, t0 + 5 + ((seed = (Math.imul(seed, 48271) >>> 0) % 2147483647) % 60));
    await all;
    assert.deepEqual(fired.map((f) => f.i).sort((a, b) => a - b), [...Array(n).keys()], 'each loop once');
    for (let k = 1; k < n; k++) assert.ok(fired[k]!.at >= fired[k - 1]!.at, `in order of time at ${k}`);
    // A wake-up takes the loops due in its next 4 ms (TOLERANCE_MS): never earlier than that.
    for (const f of fired) assert.ok(f.now >= f.at - 4, `loop ${f.i} fired ${f.at - f.now} ms early`);
  });

  it('takes loops back from inside fire (a loop every interval), and fires none after stop()', async () => {
    const counts = new Array<number>(3).fill(0);
    const q = new DueQueue(3, (i, now) => {
      counts[i]!++;
      q.schedule(i, now + 5 * (i + 1));
    });
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) q.schedule(i, t0 + 1);
    await new Promise((r) => setTimeout(r, 120));
    q.stop();
    const at = [...counts];
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(counts, at, 'nothing after stop()');
    assert.ok(at[0]! > at[2]!, `the 5 ms loop fired more often than the 15 ms one: ${at}`);
    assert.ok(at[2]! >= 3, `${at}`);
  });
});

describe('DueQueue wake-ups', () => {
  it('arms one timer a wake-up, not one a loop it fires, and wakes only when a loop is due', async () => {
    // 200 loops every 40 ms (the engine's loops reschedule themselves from inside fire).
    const n = 200;
    const nows = new Set<number>();
    let fired = 0;
    const arm = mock.method(globalThis, 'setTimeout');
    try {
      const q = new DueQueue(n, (i, now) => {
        fired++;
        nows.add(now);
        q.schedule(i, q.at[i]! + 40);
      });
      const t0 = performance.now();
      for (let i = 0; i < n; i++) q.schedule(i, t0 + 2 + ((i * 37) % 40) + (i % 7) / 10);
      const armedBefore = arm.mock.callCount();
      await new Promise<void>((r) => {
        const wait = (): void => void (fired >= 4 * n ? r() : setImmediate(wait));
        wait();
      });
      q.stop();
      const armed = arm.mock.callCount() - armedBefore;
      // Each wake-up fires at least one loop (no early wake-up that finds nothing due and
      // re-arms) and arms the timer once, at its end.
      assert.ok(armed <= nows.size + 1, `${armed} timers armed for ${nows.size} wake-ups that fired ${fired} loops`);
    } finally {
      arm.mock.restore();
    }
  });
});

describe('TargetStatusTable', () => {
  it('records scrapes as columns, counts targets up, makes status objects when asked', () => {
    const targets = ['a', 'b'].map((p) => ({ id: `http://h:1/${p}`, origin: 'http://h:1', path: `/${p}`, labels: { instance: p } }));
    const t = new TargetStatusTable(targets);
    assert.equal(t.get(0).health, 'unknown');
    t.ok(0, 1000, 0.01, 0.002, 300, 20, 20);
    t.failed(1, 1001, 0.5, 0, 0, 'scrape timed out after 0.5s', 'timeout');
    assert.equal(t.up, 1);
    t.ok(0, 2000, 0.01, 0.002, 300, 20, 0);
    t.ok(1, 2001, 0.01, 0.002, 300, 20, 20);
    assert.equal(t.up, 2);
    t.failed(0, 3000, 0.1, 0, 0, 'server returned HTTP status 500', 'http_status');
    assert.equal(t.up, 1);
    assert.deepEqual(t.all(), [
      { target: 'http://h:1/a', labels: { instance: 'a' }, health: 'down', lastScrapeMs: 3000, lastDurationSeconds: 0.1, lastIngestSeconds: 0, lastSamples: 0, lastSeriesAdded: 0, lastBodyBytes: 0, scrapesOk: 2, scrapesFailed: 1, lastError: 'server returned HTTP status 500', lastErrorReason: 'http_status' },
      { target: 'http://h:1/b', labels: { instance: 'b' }, health: 'up', lastScrapeMs: 2001, lastDurationSeconds: 0.01, lastIngestSeconds: 0.002, lastSamples: 20, lastSeriesAdded: 20, lastBodyBytes: 300, scrapesOk: 1, scrapesFailed: 1, lastError: '', lastErrorReason: '' },
    ]);
  });
});

describe('DueQueue tolerance', () => {
  it('fires loops due within 4 ms of each other in one wake-up, and one 10 ms later in another', async () => {
    const nows: number[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const q = new DueQueue(3, (_i, now) => {
      nows.push(now);
      if (nows.length === 3) done();
    });
    const t0 = performance.now();
    q.schedule(0, t0 + 20);
    q.schedule(1, t0 + 23);
    q.schedule(2, t0 + 33);
    await all;
    assert.equal(nows[0], nows[1], 'loops 0 and 1 (3 ms apart) in the same wake-up');
    assert.ok(nows[2]! > nows[1]!, 'loop 2 (10 ms later) in its own');
  });
});

describe('DueQueue tolerance, short intervals', () => {
  it('never fires a loop twice in one wake-up, even when its interval is shorter than the tolerance', async () => {
    const wakeOf: number[] = [];
    let fired = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const q = new DueQueue(1, (i, now) => {
      wakeOf.push(now);
      q.schedule(i, q.at[i]! + 2); // every 2 ms, under the 4 ms tolerance
      if (++fired === 20) done();
    });
    q.schedule(0, performance.now() + 1);
    await all;
    q.stop();
    assert.equal(new Set(wakeOf).size, wakeOf.length, `${wakeOf.length} fires in ${new Set(wakeOf).size} wake-ups`);
  });
});

describe("DueQueue lateness (the agent's event-loop delay)", () => {
  it('records how late each wake-up came: about the length of a stall that held the loop past a due time', async () => {
    const log = new ScrapeLog();
    let fired = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const q = new DueQueue(
      2,
      () => {
        if (++fired === 2) done();
      },
      log,
    );
    const t0 = performance.now();
    q.schedule(0, t0 + 5);
    q.schedule(1, t0 + 200);
    // Block the loop from 5 ms before loop 0 is due until 60 ms after it: the wake-up comes ≥ 55 ms late.
    const until = t0 + 65;
    while (performance.now() < until);
    await all;
    q.stop();
    const t = log.drain();
    assert.equal(t.wakes, 2, 'one sample a wake-up');
    const [first, second] = [t.latenessUs[0]! / 1000, t.latenessUs[1]! / 1000];
    assert.ok(first >= 55, `the stalled wake-up read ${first} ms late`);
    assert.ok(second < 30, `the other read ${second} ms late`);
    assert.equal(log.drain().wakes, 0, 'a drain starts a new second');
  });
});
