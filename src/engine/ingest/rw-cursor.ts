import { RemoteWriteError } from './rw-error.js';

/** Protobuf wire types. */
export const enum Wire {
  Varint = 0,
  I64 = 1,
  Len = 2,
  I32 = 5,
}

/** Field keys (field << 3 | wire) of remote write 1.0 (prometheus/prompb/remote.proto, types.proto). */
export const enum Key {
  /** WriteRequest.timeseries, TimeSeries.labels, Label.name: 1, length-delimited. */
  Len1 = 0x0a,
  /** TimeSeries.samples, Label.value: 2, length-delimited. */
  Len2 = 0x12,
  /** Sample.value: 1, fixed64 (a double). */
  Value = 0x09,
  /** Sample.timestamp: 2, varint (int64 ms). */
  Timestamp = 0x10,
  /** TimeSeries.histograms: 4. */
  Histograms = 0x22,
}

export const TWO_63 = 2 ** 63;
export const TWO_64 = 2 ** 64;

/**
 * A cursor over protobuf bytes (`p`), each primitive bounds-checked against the end of the
 * message it is in: a field key, a length that must fit what is left, a varint of at most 64
 * bits, an unknown field skipped by its wire type. Anything else is a RemoteWriteError naming
 * what and the byte offset. The remote-write receiver's walks (remote-write.ts) are built on it.
 */
export class ProtoCursor {
  /** The walk's position. */
  protected p = 0;

  /** A field key: a varint whose field number is not 0. */
  protected tag(buf: Uint8Array, end: number): number {
    const at = this.p;
    const b = buf[at]!;
    // One byte: fields 1 to 15, the usual.
    if (b < 0x80 && at < end) {
      this.p = at + 1;
      if (b < 8) throw new RemoteWriteError('field number 0', at);
      return b;
    }
    const k = this.varint(buf, end);
    if (k < 8) throw new RemoteWriteError('field number 0', at);
    if (k >= 2 ** 32) throw new RemoteWriteError('field key over 32 bits', at);
    return k;
  }

  /** Skips a length-delimited value (its key read). NOT `this.p += this.len()`: that adds to p as it was before len() read the varint. */
  protected skipLen(buf: Uint8Array, end: number): void {
    const n = this.len(buf, end);
    this.p += n;
  }

  /** A length, which must fit in what is left of the enclosing message [p, end). */
  protected len(buf: Uint8Array, end: number): number {
    const at = this.p;
    const n = this.varint(buf, end);
    if (n > end - this.p) throw new RemoteWriteError(`length ${n} past the end of its message (${end - this.p} bytes left)`, at);
    return n;
  }

  /** An unsigned varint of at most 10 bytes (64 bits), as a number (exact below 2^53). */
  protected varint(buf: Uint8Array, end: number): number {
    const at = this.p;
    let p = at;
    if (p >= end) throw new RemoteWriteError('truncated varint', at);
    let b = buf[p++]!;
    if (b < 0x80) {
      this.p = p;
      return b;
    }
    let v = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      if (p >= end) throw new RemoteWriteError('truncated varint', at);
      b = buf[p++]!;
      if (i === 9 && b > 1) throw new RemoteWriteError('varint over 64 bits', at);
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.p = p;
        return v;
      }
      mul *= 128;
    }
    throw new RemoteWriteError('varint over 10 bytes', at);
  }

  /**
   * Steps over a varint, checked as varint() checks it, without its value: a timestamp's is
   * a double, boxed when it is returned from a call that V8 does not inline (12 B a sample).
   */
  protected skipVarint(buf: Uint8Array, end: number): void {
    const at = this.p;
    let p = at;
    for (let i = 0; i < 10; i++) {
      if (p >= end) throw new RemoteWriteError('truncated varint', at);
      const b = buf[p++]!;
      if (i === 9 && b > 1) throw new RemoteWriteError('varint over 64 bits', at);
      if (b < 0x80) {
        this.p = p;
        return;
      }
    }
    throw new RemoteWriteError('varint over 10 bytes', at);
  }

  /** Skips an unknown field's value (key read, its offset `at`). */
  protected skip(buf: Uint8Array, end: number, key: number, at: number): void {
    switch (key & 7) {
      case Wire.Varint:
        this.skipVarint(buf, end);
        return;
      case Wire.I64:
        if (this.p + 8 > end) throw new RemoteWriteError('truncated fixed64', at);
        this.p += 8;
        return;
      case Wire.Len:
        this.skipLen(buf, end);
        return;
      case Wire.I32:
        if (this.p + 4 > end) throw new RemoteWriteError('truncated fixed32', at);
        this.p += 4;
        return;
      default:
        throw new RemoteWriteError(`wire type ${key & 7} (field ${Math.floor(key / 8)})`, at);
    }
  }
}
