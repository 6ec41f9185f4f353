import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Head, stringBytes } from '../src/engine/head.js';

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
    // The typed arrays of one chunk are the floor: 1024 series × 120 × (8 + 8) bytes.
    assert.ok(s.bytes >= 1024 * 120 * 16, `bytes ${s.bytes}`);
    assert.ok(s.labelBytes > 0 && s.labelBytes < s.bytes);
    assert.equal(s.bytesPerSeries, s.bytes / 100);
    for (const r of refs) h.release(r);
    const after = h.stats();
    assert.equal(after.series, 0);
    assert.equal(after.symbols, 0);
    assert.equal(after.labelBytes, 0);
  });

  it('estimates V8 string sizes: one byte per Latin-1 char, two otherwise', () => {
    assert.ok(stringBytes('abc') < stringBytes('abcdefghijklmnopqrstuvwxyz'));
    assert.ok(stringBytes('ü'.repeat(20)) < stringBytes('€'.repeat(20)));
  });

  it('rejects a bad window', () => {
    assert.throws(() => new Head({ window: 0 }), /window/);
  });
});
