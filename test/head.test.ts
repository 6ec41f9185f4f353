import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Head } from '../src/engine/ingest/head.js';
import { MAP_ENTRY, SymbolTable, TYPED_ARRAY_OVERHEAD } from '../src/engine/ingest/symbols.js';
import { LabelSets } from '../src/engine/ingest/label-sets.js';

/** One scrape of target g: [ref, timestamp, value] appended in order; with `failed`, it fails and those series are discarded and it is rolled back. */
function scrape(h: Head, g: number, appends: [number, number, number][], failed?: number[]): void {
  h.beginScrape(g);
  for (const [ref, tMs, value] of appends) h.append(ref, tMs, value);
  if (failed === undefined) return h.endScrape();
  for (const ref of failed) h.discard(ref);
  h.rollbackScrape();
}

/** A series' samples as [timestamps…, values…, last value]. */
function samples(h: Head, ref: number): number[] {
  const t = new Float64Array(h.window);
  const v = new Float64Array(h.window);
  const n = h.read(ref, t, v);
  return [...t.subarray(0, n), ...v.subarray(0, n), h.lastValue(ref)];
}

type Model = Map<number, { target: number; samples: Map<number, number> }>;

/** Every live series reads back what the model says: model has ref → its target and slot index → value; slots, each target's slot timestamps. */
function assertModel(h: Head, live: number[], model: Model, slots: number[][], W: number, step: number): void {
  const t = new Float64Array(W);
  const v = new Float64Array(W);
  for (const ref of live) {
    const m = model.get(ref)!;
    const n = slots[m.target]!.length;
    const want = [...m.samples].filter(([i]) => i >= n - W).sort((p, q) => p[0] - q[0]);
    const got = h.read(ref, t, v);
    assert.equal(got, want.length, `ref ${ref} step ${step}`);
    for (let i = 0; i < got; i++) {
      assert.equal(t[i], slots[m.target]![want[i]![0]]);
      assert.equal(v[i], want[i]![1]);
    }
    assert.equal(h.lastValue(ref), want.length ? want[want.length - 1]![1] : NaN, `last value of ref ${ref} step ${step}`);
  }
}

describe('Head', () => {
  it('appends and reads back oldest first, wrapping at the window', () => {
    const h = new Head({ window: 4 });
    const r = h.create(['up', 'job', 'a']);
    const t = new Float64Array(4);
    const v = new Float64Array(4);
    assert.equal(h.read(r, t, v), 0);
    assert.ok(Number.isNaN(h.lastValue(r)));
    for (let i = 1; i <= 3; i++) h.append(r, i * 1000, i);
    assert.equal(h.read(r, t, v), 3);
    assert.deepEqual([...v.subarray(0, 3)], [1, 2, 3]);
    for (let i = 4; i <= 10; i++) h.append(r, i * 1000, i);
    assert.equal(h.read(r, t, v), 4);
    assert.deepEqual([...v], [7, 8, 9, 10]);
    assert.deepEqual([...t], [7000, 8000, 9000, 10000]);
    assert.equal(h.lastValue(r), 10);
  });

  it('keeps series apart across chunks', () => {
    const h = new Head({ window: 3 });
    const refs = Array.from({ length: 3000 }, (_, i) => h.create(['m', 'i', String(i)]));
    refs.forEach((r, i) => h.append(r, 1, i));
    refs.forEach((r, i) => h.append(r, 2, i + 0.5));
    refs.forEach((r, i) => assert.equal(h.lastValue(r), i + 0.5));
    assert.equal(h.series, 3000);
    assert.deepEqual(h.labels(refs[2999]!), ['m', 'i', '2999']);
  });

  it('frees refs to a free list and reuses them, with a clean window', () => {
    const h = new Head({ window: 2 });
    const a = h.create(['a']);
    const b = h.create(['b']);
    h.append(a, 1, 1);
    h.release(a);
    h.release(a); // twice: no effect
    assert.equal(h.series, 1);
    assert.equal(h.labels(a), undefined);
    const c = h.create(['c']);
    assert.equal(c, a, 'the freed ref is reused');
    assert.ok(Number.isNaN(h.lastValue(c)), 'a reused ref starts empty');
    assert.notEqual(h.create(['d']), b);
    assert.deepEqual(h.refs(), [0, 1, 2]);
  });

  it('interns label strings once and counts them in stats', () => {
    const h = new Head({ window: 120 });
    const empty = h.stats();
    assert.equal(empty.series, 0);
    assert.equal(empty.bytesPerSeries, 0);
    const refs = [];
    for (let i = 0; i < 100; i++) refs.push(h.create(['http_requests_total', 'method', 'GET', 'instance', `host-${i % 10}`]));
    const s = h.stats();
    assert.equal(s.series, 100);
    assert.equal(s.symbols, 4 + 10);
    // The values of one chunk are the floor: 1024 series × 120 × 8 bytes (timestamps are per target, not per series).
    assert.ok(s.bytes >= 1024 * 120 * 8, `bytes ${s.bytes}`);
    assert.ok(s.bytes < 1024 * 120 * 8 * 1.2, `bytes ${s.bytes}`);
    assert.ok(s.labelBytes > 0 && s.labelBytes < s.bytes);
    assert.equal(s.bytesPerSeries, s.bytes / 100);
    // The chunks are counted, not walked: the count is what a walk over them reads.
    for (let i = 0; i < 2000; i++) refs.push(h.create(['more_total', 'i', String(i)]));
    type Arrays = Record<'lastSeq' | 'own' | 'targetOf' | 'freeRefs' | 'ringTimes' | 'ringSeq' | 'ringPos', ArrayBufferView>;
    const priv = h as unknown as Arrays & { values: Float64Array[]; present: Uint32Array[]; ownRings: Map<number, unknown>; window: number; labelSets: LabelSets };
    assert.equal(priv.values.length, 3);
    let walked = [...priv.values, ...priv.present].reduce((b, c) => b + c.byteLength + TYPED_ARRAY_OVERHEAD, 0);
    for (const k of ['lastSeq', 'own', 'targetOf', 'freeRefs', 'ringTimes', 'ringSeq', 'ringPos'] as const) walked += priv[k].byteLength;
    walked += priv.ownRings.size * (priv.window * 8 + 2 * TYPED_ARRAY_OVERHEAD + MAP_ENTRY) + priv.labelSets.tableBytes();
    assert.equal(h.stats().bytes, walked);
    for (const r of refs) h.release(r);
    const after = h.stats();
    assert.equal(after.series, 0);
    assert.equal(after.symbols, 0);
    assert.equal(after.labelBytes, 0);
  });

  it('interns strings as UTF-8 off the heap: one id per distinct string, dropped with its last reference', () => {
    const t = new SymbolTable();
    const a = t.intern('GET');
    assert.equal(t.intern('GET'), a);
    const u = t.intern('größe€');
    assert.notEqual(u, a);
    assert.equal(t.text(u), 'größe€');
    assert.equal(t.stringBytes, 3 + 'größe€'.length + 4, 'UTF-8 bytes: ö, ß two each, € three');
    t.unintern(a);
    assert.equal(t.text(a), 'GET', 'one reference left');
    t.unintern(a);
    assert.equal(t.count, 1);
    assert.equal(t.intern('POST'), a, 'the freed id is reused');
    assert.equal(t.text(a), 'POST');
  });

  it('keeps every live symbol findable through random interning and dropping (deletion by backward shift, compaction)', () => {
    const t = new SymbolTable();
    const refs = new Map<string, { id: number; n: number }>();
    let seed = 7;
    const rnd = (k: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    for (let step = 0; step < 60_000; step++) {
      const s = `v-${rnd(3000)}${'x'.repeat(rnd(40))}`;
      const r = refs.get(s);
      if (r !== undefined && rnd(2) === 0) {
        t.unintern(r.id);
        if (--r.n === 0) refs.delete(s);
      } else {
        const id = t.intern(s);
        if (r !== undefined) assert.equal(id, r.id, `step ${step}: ${s}`);
        refs.set(s, { id, n: (r?.n ?? 0) + 1 });
      }
    }
    assert.equal(t.count, refs.size);
    for (const [s, r] of refs) {
      assert.equal(t.text(r.id), s);
      assert.equal(t.intern(s), r.id);
    }
  });

  it('label sets: spans reused by series of the same shape, compacted when the shapes change', () => {
    const l = new LabelSets();
    for (let r = 0; r < 30_000; r++) l.set(r, ['m', 'a', String(r), 'b', 'x']);
    const used = l.arenaInts;
    for (let r = 0; r < 30_000; r += 2) l.delete(r);
    for (let r = 0; r < 30_000; r += 2) l.set(r, ['n', 'a', String(-r), 'b', 'y']);
    assert.equal(l.arenaInts, used, 'the same shapes take the freed spans back');
    assert.deepEqual(l.get(28), ['n', 'a', '-28', 'b', 'y']);
    assert.deepEqual(l.get(29), ['m', 'a', '29', 'b', 'x']);
    for (let r = 0; r < 30_000; r++) l.delete(r);
    for (let r = 0; r < 10_000; r++) l.set(r, ['m', String(r)]);
    assert.deepEqual(l.get(9999), ['m', '9999']);
    assert.equal(l.get(10_000), undefined);
    assert.ok(l.arenaInts < used / 3, `compacted: ${l.arenaInts} ints handed out, ${used} before`);
  });

  it('rejects a bad window', () => {
    assert.throws(() => new Head({ window: 0 }), /window/);
  });

  it('keeps timestamps once per target per scrape: series of two targets read back exact times and values', () => {
    const h = new Head({ window: 3 });
    const ta = h.target('a');
    const tb = h.target('b');
    const a = [h.create(['m', 'i', '0'], ta), h.create(['m', 'i', '1'], ta)];
    const b = [h.create(['m', 'i', '0'], tb)];
    for (let k = 1; k <= 5; k++) {
      for (const r of a) h.append(r, 1000 * k, k + r / 10);
      for (const r of b) h.append(r, 1000 * k + 1, -k);
    }
    const t = new Float64Array(3);
    const v = new Float64Array(3);
    assert.equal(h.read(a[1]!, t, v), 3);
    assert.deepEqual([...t], [3000, 4000, 5000]);
    assert.deepEqual([...v], [3.1, 4.1, 5.1]);
    assert.equal(h.read(b[0]!, t, v), 3);
    assert.deepEqual([...t], [3001, 4001, 5001]);
    assert.deepEqual([...v], [-3, -4, -5]);
    assert.equal(h.stats().ownTimestampSeries, 0);
  });

  it('keeps exact values (no rounding): NaN payloads aside, every float64 reads back', () => {
    const h = new Head({ window: 4 });
    const r = h.create(['x'], h.target('t'));
    const xs = [0.1, -0, Number.MAX_VALUE, 5e-324];
    xs.forEach((x, i) => h.append(r, i + 1, x));
    const t = new Float64Array(4);
    const v = new Float64Array(4);
    h.read(r, t, v);
    assert.deepEqual([...v], xs);
    assert.ok(Object.is(v[1], -0));
  });

  it('records scrapes a series missed as gaps, and forgets them after a window', () => {
    const h = new Head({ window: 4 });
    const g = h.target('t');
    const a = h.create(['a'], g);
    const b = h.create(['b'], g);
    const t = new Float64Array(4);
    const v = new Float64Array(4);
    h.append(a, 10, 1);
    h.append(b, 10, 1);
    h.append(a, 20, 2); // b misses the scrape at 20 (a scrape failed half-way)
    h.append(a, 30, 3);
    h.append(b, 30, 3);
    assert.equal(h.read(b, t, v), 2);
    assert.deepEqual([...t.subarray(0, 2)], [10, 30]);
    assert.deepEqual([...v.subarray(0, 2)], [1, 3]);
    // b misses 40 and 50: its newest sample (30) is still in the window.
    h.append(a, 40, 4);
    h.append(a, 50, 5);
    assert.equal(h.lastValue(b), 3);
    assert.equal(h.read(b, t, v), 1);
    assert.deepEqual([t[0], v[0]], [30, 3]);
    // Two more scrapes without b: its samples have left the window.
    h.append(a, 60, 6);
    h.append(a, 70, 7);
    assert.equal(h.read(b, t, v), 0);
    assert.ok(Number.isNaN(h.lastValue(b)));
    // b comes back after a long absence: only the new sample, no stale bits from before.
    h.append(b, 80, 8);
    h.append(a, 80, 8);
    assert.equal(h.read(b, t, v), 1);
    assert.deepEqual([t[0], v[0]], [80, 8]);
    assert.equal(h.read(a, t, v), 4);
    assert.deepEqual([...t], [50, 60, 70, 80]);
  });

  it('a series created mid-run starts empty even where its slots held another series', () => {
    const h = new Head({ window: 2 });
    const g = h.target('t');
    const a = h.create(['a'], g);
    h.append(a, 1, 1);
    h.release(a);
    const c = h.create(['c'], g);
    assert.equal(c, a);
    const t = new Float64Array(2);
    const v = new Float64Array(2);
    assert.equal(h.read(c, t, v), 0);
    h.append(c, 2, 2);
    assert.equal(h.read(c, t, v), 1);
    assert.deepEqual([t[0], v[0]], [2, 2]);
  });

  it('a duplicate sample in the same scrape is dropped, the first kept (as Prometheus), and counted', () => {
    const h = new Head({ window: 3 });
    const g = h.target('t');
    const r = h.create(['d'], g);
    h.append(r, 5, 1);
    h.append(r, 5, 2);
    // A series created in the middle of that scrape is not a duplicate.
    const late = h.create(['e'], g);
    h.append(late, 5, 7);
    const t = new Float64Array(3);
    const v = new Float64Array(3);
    assert.equal(h.read(r, t, v), 1);
    assert.equal(v[0], 1);
    assert.equal(h.read(late, t, v), 1);
    assert.equal(v[0], 7);
    assert.equal(h.duplicates, 1);
    h.append(r, 6, 3);
    assert.equal(h.read(r, t, v), 2);
    assert.deepEqual([...v.subarray(0, 2)], [1, 3]);
  });

  it('moves a series whose samples are older than its target\'s newest scrape to its own timestamps, losing nothing', () => {
    const h = new Head({ window: 3 });
    const g = h.target('t');
    const plain = h.create(['p'], g);
    const stamped = h.create(['s'], g);
    const t = new Float64Array(3);
    const v = new Float64Array(3);
    h.append(plain, 1000, 1);
    h.append(stamped, 1000, 10);
    // Scrape 2: the exporter stamps `s` with an older time than the scrape's.
    h.append(plain, 2000, 2);
    h.append(stamped, 1500, 15);
    h.append(plain, 3000, 3);
    h.append(stamped, 2500, 25);
    h.append(plain, 4000, 4);
    h.append(stamped, 3500, 35);
    assert.equal(h.stats().ownTimestampSeries, 1);
    assert.equal(h.read(stamped, t, v), 3);
    assert.deepEqual([...t], [1500, 2500, 3500]);
    assert.deepEqual([...v], [15, 25, 35]);
    assert.equal(h.lastValue(stamped), 35);
    assert.equal(h.read(plain, t, v), 3);
    assert.deepEqual([...t], [2000, 3000, 4000]);
    h.release(stamped);
    assert.equal(h.stats().ownTimestampSeries, 0);
    const again = h.create(['s2'], g);
    assert.equal(again, stamped);
    assert.equal(h.read(again, t, v), 0);
    h.append(again, 5000, 5);
    assert.equal(h.stats().ownTimestampSeries, 0, 'a reused ref starts with the target\'s timestamps');
  });

  it('matches a per-series reference model under random scrapes, gaps, churn and several targets', () => {
    const W = 5;
    const h = new Head({ window: W });
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const targets = [h.target('x'), h.target('y'), h.target('z')];
    const scrapes = targets.map(() => [] as number[]); // timestamps of each target's scrapes
    const model: Model = new Map(); // ref → scrape index → value
    const live: number[] = [];
    let now = 1000;
    for (let step = 0; step < 400; step++) {
      const ti = Math.floor(rnd() * targets.length);
      now += 1 + Math.floor(rnd() * 10);
      if (rnd() < 0.3 || live.length < 5) {
        const ref = h.create(['m', 'n', String(step)], targets[ti]!);
        model.set(ref, { target: ti, samples: new Map() });
        live.push(ref);
      }
      if (rnd() < 0.1 && live.length > 5) {
        const k = Math.floor(rnd() * live.length);
        h.release(live[k]!);
        model.delete(live[k]!);
        live.splice(k, 1);
      }
      const idx = scrapes[ti]!.length;
      let any = false;
      for (const ref of live) {
        const m = model.get(ref)!;
        if (m.target !== ti || rnd() < 0.2) continue; // absent from this scrape
        const val = rnd() * 100;
        h.append(ref, now, val);
        m.samples.set(idx, val);
        any = true;
      }
      if (any) scrapes[ti]!.push(now);
      assertModel(h, live, model, scrapes, W, step);
    }
    assert.equal(h.stats().ownTimestampSeries, 0);
  });

  it('rolls back a failed scrape: its samples and their slots read as a gap, older samples stay', () => {
    const h = new Head({ window: 4 });
    const g = h.target('t');
    const a = h.create(['a'], g);
    const b = h.create(['b'], g);
    scrape(h, g, [[a, 1000, 1], [b, 1000, 1]]);
    scrape(h, g, [[a, 2000, 2]]); // b misses it
    // This one fails after a, b and a new series c.
    const c = h.create(['c'], g);
    scrape(h, g, [[a, 3000, 3], [b, 3000, 3], [c, 3000, 3]], [a, b, c]);
    h.release(c);
    assert.deepEqual(samples(h, a), [1000, 2000, 1, 2, 2]);
    assert.deepEqual(samples(h, b), [1000, 1, 1], 'the newest sample left is the last value, not the rolled-back one');
    assert.equal(h.series, 2);
    // The next scrape goes on after the failed one's slot (kept, empty).
    scrape(h, g, [[a, 4000, 4], [b, 4000, 4]]);
    assert.deepEqual(samples(h, a), [1000, 2000, 4000, 1, 2, 4, 4]);
    assert.deepEqual(samples(h, b), [1000, 4000, 1, 4, 4]);
  });

  it('rolls back samples written into the slot before the scrape (equal timestamps), duplicates aside', () => {
    const h = new Head({ window: 3 });
    const g = h.target('t');
    const a = h.create(['a'], g);
    const d = h.create(['d'], g);
    scrape(h, g, [[a, 5000, 1]]);
    // Same timestamp again (explicit timestamps): a is a duplicate, d is new in that slot; it fails.
    scrape(h, g, [[a, 5000, 2], [d, 5000, 2]], [a, d]);
    assert.deepEqual(samples(h, d), [NaN]);
    assert.deepEqual(samples(h, a), [5000, 1, 1]);
    // The same scrape again, good this time: d lands in that slot.
    scrape(h, g, [[d, 5000, 3]]);
    assert.deepEqual(samples(h, d), [5000, 3, 3]);
  });

  it('rolls back series with their own timestamps, and a move to them during the failed scrape', () => {
    const h = new Head({ window: 4 });
    const g = h.target('t');
    const p = h.create(['p'], g);
    const s = h.create(['s'], g);
    const m = h.create(['m'], g);
    const all = [p, s, m];
    scrape(h, g, [[p, 1000, 1], [s, 1000, 1], [m, 1000, 1]]);
    scrape(h, g, [[p, 2000, 2], [s, 1500, 2], [m, 2000, 2]]); // s moves to its own timestamps
    assert.equal(h.stats().ownTimestampSeries, 1);
    const before = all.map((r) => samples(h, r));
    // m's older sample comes after its sample of this scrape: m moves, then the scrape fails.
    scrape(h, g, [[p, 3000, 3], [s, 2500, 3], [m, 3000, 3], [m, 2800, 4]], all);
    assert.equal(h.stats().ownTimestampSeries, 2);
    assert.deepEqual(all.map((r) => samples(h, r)), before);
    // A failed scrape whose own-timestamp appends wrap the ring loses the samples they overwrote.
    scrape(h, g, [[s, 3500, 5], [s, 3600, 6], [s, 3700, 7]], all);
    assert.deepEqual(samples(h, s), [1500, 2, 2]);
    scrape(h, g, [[p, 5000, 7], [s, 4500, 7], [m, 4800, 7]]);
    assert.deepEqual(samples(h, s), [1500, 4500, 2, 7, 7]);
    assert.deepEqual(samples(h, m), [1000, 2000, 4800, 1, 2, 7, 7]);
  });

  it('matches a reference model under random scrapes that fail half-way, equal timestamps and churn', () => {
    const W = 4;
    const h = new Head({ window: W });
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const targets = [h.target('x'), h.target('y')];
    const slots = targets.map(() => [] as number[]); // each target's slot timestamps
    const model: Model = new Map(); // ref → slot index → value
    const live: number[] = [];
    let now = 1000;
    let failed = 0;
    for (let step = 0; step < 600; step++) {
      const ti = Math.floor(rnd() * targets.length);
      const own = slots[ti]!;
      // A scrape at a new time, or (explicit timestamps) at its target's newest slot's time.
      const at = own.length > 0 && rnd() < 0.15 ? own[own.length - 1]! : (now += 1 + Math.floor(rnd() * 10));
      const fail = rnd() < 0.3;
      const stopAt = Math.floor(rnd() * 8);
      const undo: (() => void)[] = [];
      const created: number[] = [];
      h.beginScrape(targets[ti]!);
      let appended = 0;
      const order = live.filter((r) => model.get(r)!.target === ti && rnd() < 0.8);
      if (rnd() < 0.3 || live.length < 4) order.splice(Math.floor(rnd() * (order.length + 1)), 0, -1); // a new series here
      if (order.length > 0 && rnd() < 0.1) order.push(order[0]!); // twice in one scrape
      for (let ref of order) {
        if (fail && appended === stopAt) break;
        if (ref === -1) {
          ref = h.create(['m', 'n', String(step)], targets[ti]!);
          model.set(ref, { target: ti, samples: new Map() });
          live.push(ref);
          created.push(ref);
        }
        const val = Math.floor(rnd() * 100);
        h.append(ref, at, val);
        appended++;
        if (own.length === 0 || at > own[own.length - 1]!) own.push(at);
        const m = model.get(ref)!;
        const idx = own.length - 1;
        if (!m.samples.has(idx)) {
          m.samples.set(idx, val);
          undo.push(() => m.samples.delete(idx));
        }
      }
      if (fail) {
        failed++;
        for (const r of live) if (model.get(r)!.target === ti) h.discard(r);
        h.rollbackScrape();
        for (const u of undo) u();
        for (const r of created) {
          h.release(r);
          model.delete(r);
          live.splice(live.indexOf(r), 1);
        }
      } else h.endScrape();
      if (rnd() < 0.08 && live.length > 4) {
        const k = Math.floor(rnd() * live.length);
        h.release(live[k]!);
        model.delete(live[k]!);
        live.splice(k, 1);
      }
      assertModel(h, live, model, slots, W, step);
      assert.equal(h.series, live.length);
    }
    assert.ok(failed > 100, `${failed} failed scrapes`);
    assert.equal(h.stats().ownTimestampSeries, 0);
  });
});
