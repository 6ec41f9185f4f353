/**
 * Snappy's block format, decompression (what a remote-write receiver reads: `Content-Encoding:
 * snappy`, no framing), into a buffer the caller reuses, every offset and length checked. A
 * library: the fleet's push tests and the engine's receiver (src/engine/) both use it; the
 * compressor is the fleet's (src/push/snappy.ts), which re-exports this.
 */

export class SnappyError extends Error {
  constructor(message: string) {
    super(`snappy: ${message}`);
    this.name = 'SnappyError';
  }
}

/**
 * The uncompressed length a block declares, checked against `max` before anything is
 * allocated: a request declaring 1 GB is refused here, not after allocating it.
 */
export function uncompressedLength(src: Uint8Array, n: number, max: number): { length: number; at: number } {
  const length = declaredLength(src, n, max);
  return { length, at: lengthAt };
}

/** Where the block's data starts after the last declaredLength() read (module state: no object per call). */
let lengthAt = 0;

/** uncompressedLength() without its object: the length; lengthAt says where the data starts. */
export function declaredLength(src: Uint8Array, n: number, max: number): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= n) throw new SnappyError('truncated length');
    const b = src[i]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) {
      if (v > max) throw new SnappyError(`declares ${v} bytes uncompressed, over the limit of ${max}`);
      lengthAt = i + 1;
      return v;
    }
  }
  throw new SnappyError('length varint over 5 bytes');
}

/**
 * Uncompresses src[0, n) into out (which must hold the declared length; see
 * uncompressedLength) and returns that length. Every offset and length is checked: a corrupt
 * block is a SnappyError, never a read or write out of bounds.
 */
export function uncompress(src: Uint8Array, n: number, out: Uint8Array, max = out.length): number {
  const length = declaredLength(src, n, Math.min(max, out.length));
  let s = lengthAt;
  let d = 0;
  while (s < n) {
    const tag = src[s]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        s++;
        if (x >= 60) {
          const bytes = x - 59;
          if (s + bytes > n) throw new SnappyError('truncated literal length');
          x = 0;
          for (let i = 0; i < bytes; i++) x += src[s + i]! * 2 ** (8 * i);
          s += bytes;
        }
        len = x + 1;
        if (s + len > n) throw new SnappyError('literal past the end of the input');
        if (d + len > length) throw new SnappyError('literal past the declared length');
        // Short literals byte by byte: a subarray() per literal was ~140 B per sample of a
        // remote-write request (its labels' literals are short); long ones with one set().
        if (len > 64) out.set(src.subarray(s, s + len), d);
        else for (let i = 0; i < len; i++) out[d + i] = src[s + i]!;
        s += len;
        d += len;
        continue;
      }
      case 1:
        if (s + 2 > n) throw new SnappyError('truncated copy');
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | src[s + 1]!;
        s += 2;
        break;
      case 2:
        if (s + 3 > n) throw new SnappyError('truncated copy');
        len = 1 + (tag >>> 2);
        offset = src[s + 1]! | (src[s + 2]! << 8);
        s += 3;
        break;
      default:
        if (s + 5 > n) throw new SnappyError('truncated copy');
        len = 1 + (tag >>> 2);
        offset = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16)) + src[s + 4]! * 16777216;
        s += 5;
    }
    if (offset === 0 || offset > d) throw new SnappyError(`copy offset ${offset} at output byte ${d}`);
    if (d + len > length) throw new SnappyError('copy past the declared length');
    if (offset >= len) out.copyWithin(d, d - offset, d - offset + len);
    else for (let i = 0; i < len; i++) out[d + i] = out[d - offset + i]!;
    d += len;
  }
  if (d !== length) throw new SnappyError(`${d} bytes decoded, ${length} declared`);
  return length;
}
