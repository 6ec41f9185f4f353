import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { maxCompressedLength, SnappyCompressor, SnappyError, uncompress, uncompressedLength } from '../src/push/snappy.js';
import { oracle, scratchFile } from './helpers/rw-oracle.js';

/** src/push/snappy.ts: the block format both ways, against itself and against python-snappy (Debian's libsnappy). */

const o = oracle();
const skip = typeof o === 'string' ? o : false;
const SIZES = [0, 1, 2, 15, 16, 17, 100, 4096, 65535, 65536, 65537, 131072, 300 * 1024];

/** A deterministic generator (xorshift32), so a failure names an input that can be made again. */
function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const text = Buffer.from(new ExporterSet(loadProfile('default')).renderToBuffer(3, 10, 'text'));

/** Inputs of `size` bytes: random, repetitive (short period), runs, an exposition body, random with repeats far apart. */
function inputs(size: number): [string, Uint8Array][] {
  const r = rng(size + 1);
  const random = new Uint8Array(size).map(() => r() & 0xff);
  const periodic = new Uint8Array(size).map((_, i) => 97 + (i % 7));
  const runs = new Uint8Array(size).map((_, i) => ((i >> 9) & 1) * 0xff);
  const body = new Uint8Array(size).map((_, i) => text[i % text.length]!);
  const farRepeats = new Uint8Array(size).map((_, i) => random[i % 40000]!);
  return [
    ['random', random],
    ['periodic', periodic],
    ['runs', runs],
    ['exposition', body],
    ['random repeated every 40000 bytes', farRepeats],
  ];
}

function compress(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(src.length));
  const n = new SnappyCompressor().compress(src, src.length, out);
  assert.ok(n <= out.length);
  return out.slice(0, n);
}

function decompress(c: Uint8Array, max = 64 * 2 ** 20): Uint8Array {
  const { length } = uncompressedLength(c, c.length, max);
  const out = new Uint8Array(length);
  assert.equal(uncompress(c, c.length, out), length);
  return out;
}

test('snappy: compress then uncompress gives the input back, for every kind and size', () => {
  const snappy = new SnappyCompressor(); // one compressor reused: its table must not leak between calls
  for (const size of SIZES) {
    for (const [kind, src] of inputs(size)) {
      const out = new Uint8Array(maxCompressedLength(size));
      const n = snappy.compress(src, size, out);
      assert.deepEqual(decompress(out.subarray(0, n)), src, `${kind}, ${size} bytes`);
      if (kind === 'periodic' && size >= 4096) assert.ok(n < size / 10, `periodic input of ${size} bytes compressed to ${n}`);
    }
  }
  // A prefix of a larger buffer: only src[0, n) is read.
  const big = inputs(70000)[3]![1];
  const c = new Uint8Array(maxCompressedLength(65537));
  assert.deepEqual(decompress(c.subarray(0, snappy.compress(big, 65537, c))), big.subarray(0, 65537));
});

test('snappy: python-snappy reads our output, we read python-snappy\'s', { skip }, () => {
  const orc = o as Exclude<typeof o, string>;
  const cases = SIZES.flatMap((size) => inputs(size).map(([kind, src]) => ({ name: `${kind.replace(/ /g, '-')}-${size}`, src })));
  // Ours → python.
  const ours = cases.flatMap((c) => [scratchFile(orc, `${c.name}.ours.sz`, compress(c.src)), scratchFile(orc, `${c.name}.ours.raw`)]);
  orc.run(['uncompress', ...ours]);
  // Python → ours.
  const theirs = cases.flatMap((c) => [scratchFile(orc, `${c.name}.raw`, c.src), scratchFile(orc, `${c.name}.py.sz`)]);
  orc.run(['compress', ...theirs]);
  for (const c of cases) {
    assert.deepEqual(new Uint8Array(readFileSync(scratchFile(orc, `${c.name}.ours.raw`))), c.src, `python-snappy uncompressed our ${c.name}`);
    const py = new Uint8Array(readFileSync(scratchFile(orc, `${c.name}.py.sz`)));
    assert.deepEqual(decompress(py), c.src, `we uncompressed python-snappy's ${c.name}`);
    // Ours compresses about as well as the C++ library (both are Google's algorithm).
    assert.ok(compress(c.src).length <= py.length * 1.1 + 16, `${c.name}: ours ${compress(c.src).length} B, python-snappy ${py.length} B`);
  }
});

function assertSnappyError(c: Uint8Array, what: string, out = new Uint8Array(1 << 20)): void {
  assert.throws(() => uncompress(c, c.length, out), SnappyError, what);
}

test('snappy: corrupt input is a SnappyError, never a read or write out of bounds', () => {
  const src = inputs(100_000)[3]![1];
  const good = compress(src);
  // Truncated anywhere.
  for (const cut of [0, 1, 2, 3, 5, 17, good.length >> 1, good.length - 1]) assertSnappyError(good.subarray(0, cut), `cut at ${cut}`);
  // Declared length over the limit: refused before anything is allocated.
  const huge = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04); // 2^30 bytes
  assert.throws(() => uncompressedLength(huge, huge.length, 64 * 2 ** 20), SnappyError);
  assertSnappyError(huge, '1 GiB declared into 1 MiB');
  assertSnappyError(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 'length varint over 5 bytes');
  // Declared length larger than what the ops produce, or smaller.
  assertSnappyError(Uint8Array.of(5, 0x00, 0x61), 'declares 5, a 1-byte literal');
  assertSnappyError(Uint8Array.of(1, 0x04, 0x61, 0x62), 'declares 1, a 2-byte literal');
  // Copy offsets: 0, before the start of the output, past the declared length.
  assertSnappyError(Uint8Array.of(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x00), 'copy offset 0');
  assertSnappyError(Uint8Array.of(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x05), 'copy offset 5 after 4 bytes');
  assertSnappyError(Uint8Array.of(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x0e, 0x09, 0x00), 'copy-2 offset 9 after 4 bytes');
  assertSnappyError(Uint8Array.of(6, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x0f, 0x04, 0x00, 0x00, 0x00), 'copy-4 past the declared length');
  // A literal whose length runs past the input; a literal length field cut short.
  assertSnappyError(Uint8Array.of(100, 0xf0, 99), 'literal of 100 bytes, none there');
  assertSnappyError(Uint8Array.of(100, 0xf4, 99), 'literal with a 2-byte length, one there');
  // An output buffer smaller than the declared length.
  assertSnappyError(good, 'output too small', new Uint8Array(10));
  // Random corruption of a good block: a SnappyError or a block of the declared length, nothing else.
  const r = rng(7);
  const out = new Uint8Array(1 << 20);
  for (let k = 0; k < 2000; k++) {
    const bad = good.slice();
    for (let j = 0; j < 1 + (k % 4); j++) bad[r() % bad.length] = r() & 0xff;
    try {
      const n = uncompress(bad, bad.length, out);
      assert.ok(n <= out.length);
    } catch (e) {
      assert.ok(e instanceof SnappyError, `case ${k}: ${(e as Error).stack}`);
    }
  }
});
