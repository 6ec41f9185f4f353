/**
 * Snappy's block format (what remote write sends: `Content-Encoding: snappy`, no framing), both
 * ways, into buffers the caller reuses.
 *
 * Why hand-written and not the npm packages: a remote-write request is compressed once per
 * batch in a serving thread, and the fleet's budget is a tenth of the system it loads.
 * `snappy` (napi-rs) returns a fresh Buffer per call and crosses into native code; `snappyjs`
 * allocates its output and a hash table per call. This compressor writes into the caller's
 * buffer with one reused table, so a steady push allocates nothing per request; the benchmark
 * (`npm run bench -- --only push`) measures the three on the same requests. The algorithm is
 * Go's `github.com/golang/snappy` encodeBlock (what Prometheus itself uses), so the output
 * compresses as well as Prometheus's own requests.
 */

const MAX_BLOCK = 65536;
const MAX_TABLE = 1 << 14;
const INPUT_MARGIN = 15;
const MIN_NON_LITERAL_BLOCK = 1 + 1 + INPUT_MARGIN;

/** The most bytes compressing `n` bytes can take (Go's MaxEncodedLen). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

export class SnappyCompressor {
  private readonly table = new Uint16Array(MAX_TABLE);

  /** Compresses src[0, n) into out at 0 and returns the compressed length. `out` must hold maxCompressedLength(n). */
  compress(src: Uint8Array, n: number, out: Uint8Array): number {
    let d = writeUvarint(out, 0, n);
    for (let p = 0; p < n; p += MAX_BLOCK) {
      const end = Math.min(n, p + MAX_BLOCK);
      d = end - p < MIN_NON_LITERAL_BLOCK ? emitLiteral(out, d, src, p, end) : this.block(src, p, end, out, d);
    }
    return d;
  }

  /** One block of at most 64 KiB: positions in the table are relative to its start. */
  private block(src: Uint8Array, base: number, end: number, out: Uint8Array, d: number): number {
    const len = end - base;
    let shift = 32 - 8;
    for (let size = 1 << 8; size < MAX_TABLE && size < len; size *= 2) shift--;
    const table = this.table;
    table.fill(0);
    const sLimit = len - INPUT_MARGIN;
    let nextEmit = 0;
    let s = 1;
    let nextHash = hash(load32(src, base + s), shift);
    for (;;) {
      let skip = 32;
      let nextS = s;
      let candidate = 0;
      for (;;) {
        s = nextS;
        const step = skip >> 5;
        nextS = s + step;
        skip += step;
        if (nextS > sLimit) return nextEmit < len ? emitLiteral(out, d, src, base + nextEmit, end) : d;
        candidate = table[nextHash]!;
        table[nextHash] = s;
        nextHash = hash(load32(src, base + nextS), shift);
        if (load32(src, base + s) === load32(src, base + candidate)) break;
      }
      d = emitLiteral(out, d, src, base + nextEmit, base + s);
      for (;;) {
        const start = s;
        s += 4;
        // Extend the match 4 bytes a step, then byte by byte (a request's label runs match for
        // a hundred bytes and more: about 8 % less time on the push bench's requests).
        let i = candidate + 4;
        while (s + 4 <= len && load32(src, base + i) === load32(src, base + s)) {
          i += 4;
          s += 4;
        }
        while (s < len && src[base + i] === src[base + s]) {
          i++;
          s++;
        }
        d = emitCopy(out, d, start - candidate, s - start);
        nextEmit = s;
        if (s >= sLimit) return nextEmit < len ? emitLiteral(out, d, src, base + nextEmit, end) : d;
        table[hash(load32(src, base + s - 1), shift)] = s - 1;
        const cur = load32(src, base + s);
        const h = hash(cur, shift);
        candidate = table[h]!;
        table[h] = s;
        if (cur !== load32(src, base + candidate)) {
          nextHash = hash(load32(src, base + s + 1), shift);
          s++;
          break;
        }
      }
    }
  }
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function hash(u: number, shift: number): number {
  return Math.imul(u, 0x1e35a7bd) >>> shift;
}

function emitLiteral(out: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1;
  if (n < 60) out[d++] = n << 2;
  else if (n < 256) {
    out[d++] = 60 << 2;
    out[d++] = n;
  } else {
    out[d++] = 61 << 2;
    out[d++] = n & 0xff;
    out[d++] = n >>> 8;
  }
  // Most literals of a remote-write request are a few bytes (digits, a value's bytes): copied
  // by hand, since src.subarray() is an object per literal (over 100 B a sample); a long one
  // (incompressible input) is worth its view.
  if (to - from < 256) {
    for (let i = from; i < to; i++) out[d++] = src[i]!;
    return d;
  }
  out.set(src.subarray(from, to), d);
  return d + to - from;
}

function emitCopy(out: Uint8Array, d: number, offset: number, length: number): number {
  while (length >= 68) {
    out[d++] = (63 << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    length -= 64;
  }
  if (length > 64) {
    out[d++] = (59 << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    out[d++] = ((length - 1) << 2) | 2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    return d;
  }
  out[d++] = ((offset >>> 8) << 5) | ((length - 4) << 2) | 1;
  out[d++] = offset & 0xff;
  return d;
}

function writeUvarint(out: Uint8Array, d: number, v: number): number {
  while (v >= 0x80) {
    out[d++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[d++] = v;
  return d;
}

// The decompressor is a library (src/common/snappy-block.ts): the engine's remote-write receiver uses it too.
export { SnappyError, uncompressedLength, uncompress } from '../common/snappy-block.js';
