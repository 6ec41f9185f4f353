import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScrapeCache, hashBytes } from '../src/engine/ingest/scrape-cache.js';

const enc = new TextEncoder();

/** A body holding the keys back to back, with their [start, end) offsets. */
function body(keys: string[]): { buf: Uint8Array; at: Array<[number, number]> } {
  const parts = keys.map((k) => enc.encode(k));
  const buf = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  const at: Array<[number, number]> = [];
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    at.push([o, o + p.length]);
    o += p.length + 1;
    buf[o - 1] = 0x0a;
  }
  return { buf, at };
}

describe('ScrapeCache', () => {
  it('misses, then hits on byte-equal keys at other offsets and in other buffers', () => {
    const c = new ScrapeCache();
    const a = body(['up{job="a"}', 'up{job="b"}']);
    c.iterStart();
    assert.equal(c.get(a.buf, ...a.at[0]!), -1);
    c.add(a.buf, ...a.at[0]!, 7);
    assert.equal(c.get(a.buf, ...a.at[1]!), -1);
    c.add(a.buf, ...a.at[1]!, 9);
    const b = body(['x', 'up{job="b"}', 'up{job="a"}']);
    assert.equal(c.get(b.buf, ...b.at[1]!), 9);
    assert.equal(c.get(b.buf, ...b.at[2]!), 7);
    assert.equal(c.get(b.buf, ...b.at[0]!), -1);
    assert.equal(c.size, 2);
  });

  it('tells apart keys that differ in one byte, in length, or only by prefix', () => {
    const keys = ['a{x="1"}', 'a{x="2"}', 'a{x="12"}', 'a', 'ab', '', 'a{x="1"} '];
    const c = new ScrapeCache();
    const b = body(keys);
    c.iterStart();
    keys.forEach((_, i) => {
      assert.equal(c.get(b.buf, ...b.at[i]!), -1, `key ${i} should miss`);
      c.add(b.buf, ...b.at[i]!, 100 + i);
    });
    keys.forEach((_, i) => assert.equal(c.get(b.buf, ...b.at[i]!), 100 + i));
  });

  it('iterDone drops entries not seen in this scrape and returns their refs', () => {
    const c = new ScrapeCache();
    const b = body(['s0', 's1', 's2', 's3', 's4']);
    c.iterStart();
    b.at.forEach((r, i) => c.add(b.buf, ...r, i));
    assert.deepEqual([...c.iterDone()], []);
    c.iterStart();
    for (const i of [0, 2, 4]) assert.equal(c.get(b.buf, ...b.at[i]!), i);
    assert.equal(c.get(b.buf, ...b.at[2]!), 2); // seen twice in one scrape: still one entry
    assert.deepEqual([...c.iterDone()].sort(), [1, 3]);
    assert.equal(c.size, 3);
    // Survivors still hit after compaction; the dropped keys miss.
    c.iterStart();
    for (const i of [0, 2, 4]) assert.equal(c.get(b.buf, ...b.at[i]!), i);
    for (const i of [1, 3]) assert.equal(c.get(b.buf, ...b.at[i]!), -1);
    assert.deepEqual([...c.iterDone()], []);
  });

  it('an entry added in a scrape survives that scrape; an unscraped iteration drops all', () => {
    const c = new ScrapeCache();
    const b = body(['a', 'b']);
    c.iterStart();
    c.add(b.buf, ...b.at[0]!, 1);
    assert.equal(c.iterDone().length, 0);
    c.iterStart();
    c.add(b.buf, ...b.at[1]!, 2);
    assert.deepEqual([...c.iterDone()], [1]);
    c.iterStart();
    assert.deepEqual([...c.iterDone()], [2]);
    assert.equal(c.size, 0);
  });

  it('grows past its initial capacity and keeps every key, through churn', () => {
    const c = new ScrapeCache(8);
    const n = 5000;
    const keys = Array.from({ length: n }, (_, i) => `metric_${i % 7}{instance="host-${i}",le="${i / 10}"}`);
    const b = body(keys);
    c.iterStart();
    for (let i = 0; i < n; i++) {
      assert.equal(c.get(b.buf, ...b.at[i]!), -1);
      c.add(b.buf, ...b.at[i]!, i);
    }
    assert.equal(c.size, n);
    for (let i = 0; i < n; i++) assert.equal(c.get(b.buf, ...b.at[i]!), i);
    const bytesBefore = c.bytes;
    // Churn: keep the even half.
    c.iterStart();
    for (let i = 0; i < n; i += 2) c.get(b.buf, ...b.at[i]!);
    assert.equal(c.iterDone().length, n / 2);
    for (let i = 0; i < n; i++) assert.equal(c.get(b.buf, ...b.at[i]!), i % 2 === 0 ? i : -1);
    // In place: nothing grows but the old → new index table that the first churn makes (4 B an entry).
    assert.ok(c.bytes <= bytesBefore + c.capacity * 4, 'churn compacts in place');
  });

  it('hit() marks an entry seen as get() does; movedTo() follows a compacting iterDone', () => {
    const c = new ScrapeCache();
    const b = body(['s0', 's1', 's2', 's3']);
    c.iterStart();
    b.at.forEach((r, i) => c.add(b.buf, ...r, 10 + i));
    assert.equal(c.lastEntry, 3);
    c.iterDone();
    c.iterStart();
    assert.equal(c.hit(2), 12); // a sequence hit: no lookup
    assert.equal(c.get(b.buf, ...b.at[0]!), 10);
    assert.equal(c.lastEntry, 0);
    assert.deepEqual([...c.iterDone()].sort(), [11, 13]);
    assert.deepEqual([0, 1, 2, 3].map((e) => c.movedTo(e)), [0, -1, 1, -1]);
    c.iterStart();
    assert.equal(c.get(b.buf, ...b.at[2]!), 12);
    assert.equal(c.lastEntry, 1);
  });

  it('rollback() drops the entries added since iterStart(), through a growth mid-scrape, and keeps the rest', () => {
    const c = new ScrapeCache(8);
    // Keys that collide in the slot table too: a short table and many keys of one family.
    const keys = Array.from({ length: 600 }, (_, i) => `m{i="${i}"}`);
    const b = body(keys);
    c.iterStart();
    for (let i = 0; i < 100; i++) c.add(b.buf, ...b.at[i]!, i);
    c.iterDone();
    const bytes = c.bytes;
    // A failed scrape: looks up some old keys, adds 500 new ones (the table grows), rolls back.
    c.iterStart();
    for (let i = 0; i < 100; i += 3) assert.equal(c.get(b.buf, ...b.at[i]!), i);
    for (let i = 100; i < 600; i++) c.add(b.buf, ...b.at[i]!, i);
    assert.ok(c.bytes > bytes);
    assert.deepEqual([...c.rollback()].sort((x, y) => x - y), Array.from({ length: 500 }, (_, i) => 100 + i));
    assert.equal(c.size, 100);
    for (let i = 0; i < 600; i++) assert.equal(c.get(b.buf, ...b.at[i]!), i < 100 ? i : -1, `key ${i}`);
    // The next scrape sees the rolled-back keys as new; its sweep drops what it did not see.
    c.iterStart();
    for (let i = 0; i < 100; i++) c.get(b.buf, ...b.at[i]!);
    for (let i = 100; i < 150; i++) {
      assert.equal(c.get(b.buf, ...b.at[i]!), -1);
      c.add(b.buf, ...b.at[i]!, 1000 + i);
    }
    assert.deepEqual([...c.iterDone()], []);
    for (let i = 0; i < 600; i++) assert.equal(c.get(b.buf, ...b.at[i]!), i < 100 ? i : i < 150 ? 1000 + i : -1);
    // A rollback with nothing added drops nothing.
    c.iterStart();
    assert.deepEqual([...c.rollback()], []);
    assert.equal(c.size, 150);
  });

  it('hashBytes depends on every byte and on the range only', () => {
    const a = enc.encode('xx_abcdefg_yy');
    const b = enc.encode('abcdefg');
    assert.equal(hashBytes(a, 3, 10), hashBytes(b, 0, 7));
    const seen = new Set<number>();
    for (let i = 0; i < b.length; i++) {
      const c = b.slice();
      c[i]! ^= 1;
      seen.add(hashBytes(c, 0, c.length));
    }
    assert.equal(seen.size, b.length);
    assert.ok(!seen.has(hashBytes(b, 0, 7)));
  });
});
