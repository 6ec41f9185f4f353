import { RemoteWriteError } from './rw-error.js';
import { Key, ProtoCursor, TWO_63, TWO_64 } from './rw-cursor.js';
import { LabelSpans } from './rw-labels.js';

/**
 * The parts of a remote-write TimeSeries that the receiver's hot walk (remote-write.ts) leaves
 * to a slower path: a Sample checked, or read in any field order; Label fields gathered into
 * one key when other fields come between them; each Label's name and value located (on a
 * scrape-cache miss only).
 */
export class TimeSeriesFields extends ProtoCursor {
  /** The request's bytes as a DataView (ingest() keeps it on the current buffer). */
  protected dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
  /** A series' Label fields copied together when other fields come between them (rare). */
  protected key = new Uint8Array(256);
  protected keyLength = 0;
  /** sample()'s value and timestamp. */
  protected sv = 0;
  protected st = 0;
  protected readonly spans = new LabelSpans();

  /** A checked Sample buf[a, b) in any field order, into sv and st. */
  protected sample(buf: Uint8Array, a: number, b: number): void {
    let value = 0;
    let t = 0;
    this.p = a;
    while (this.p < b) {
      const k = this.tag(buf, b);
      if (k === Key.Value) {
        value = this.dv.getFloat64(this.p, true);
        this.p += 8;
      } else if (k === Key.Timestamp) {
        t = this.varint(buf, b);
        if (t >= TWO_63) t -= TWO_64;
      } else {
        this.skip(buf, b, k, this.p);
      }
    }
    this.sv = value;
    this.st = t;
  }

  /** Sample buf[a, b): field 1 a fixed64, field 2 a varint; others skipped. */
  protected checkSample(buf: Uint8Array, a: number, b: number): void {
    this.p = a;
    while (this.p < b) {
      const at = this.p;
      const key = this.tag(buf, b);
      if (key === Key.Value) {
        if (this.p + 8 > b) throw new RemoteWriteError('Sample.value truncated', at);
        this.p += 8;
      } else if (key === Key.Timestamp) {
        this.skipVarint(buf, b);
      } else if (key >>> 3 === 1 || key >>> 3 === 2) {
        throw new RemoteWriteError(`Sample field ${key >>> 3} with wire type ${key & 7}, not ${key >>> 3 === 1 ? 1 : 0}`, at);
      } else {
        this.skip(buf, b, key, at);
      }
    }
  }

  /** The TimeSeries buf[s, e)'s Label fields copied together into this.key (keyLength bytes); returns this.key. */
  protected gatherKey(buf: Uint8Array, s: number, e: number): Uint8Array {
    let n = 0;
    const save = this.p;
    this.p = s;
    while (this.p < e) {
      const at = this.p;
      const key = this.tag(buf, e);
      if (key !== Key.Len1) {
        if (key === Key.Len2) this.skipLen(buf, e);
        else this.skip(buf, e, key, at);
        continue;
      }
      this.skipLen(buf, e);
      const need = n + this.p - at;
      if (need > this.key.length) {
        const k = new Uint8Array(Math.max(need, this.key.length * 2));
        k.set(this.key.subarray(0, n));
        this.key = k;
      }
      this.key.set(buf.subarray(at, this.p), n);
      n = need;
    }
    this.p = save;
    this.keyLength = n;
    return this.key;
  }

  /** The TimeSeries buf[s, e)'s labels into this.spans, each Label's fields checked (a miss only). */
  protected labelSpans(buf: Uint8Array, s: number, e: number): void {
    const spans = this.spans;
    spans.n = 0;
    this.p = s;
    while (this.p < e) {
      const at = this.p;
      const key = this.tag(buf, e);
      if (key !== Key.Len1) {
        if (key === Key.Len2) this.skipLen(buf, e);
        else this.skip(buf, e, key, at);
        continue;
      }
      const le = this.len(buf, e) + this.p;
      let ns = this.p;
      let ne = ns;
      let vs = ns;
      let ve = ns;
      while (this.p < le) {
        const fat = this.p;
        const k = this.tag(buf, le);
        if (k === Key.Len1 || k === Key.Len2) {
          const len = this.len(buf, le);
          if (k === Key.Len1) {
            ns = this.p;
            ne = ns + len;
          } else {
            vs = this.p;
            ve = vs + len;
          }
          this.p += len;
        } else if (k >>> 3 === 1 || k >>> 3 === 2) {
          throw new RemoteWriteError(`Label field ${k >>> 3} with wire type ${k & 7}, not 2`, fat);
        } else {
          this.skip(buf, le, k, fat);
        }
      }
      spans.push(ns, ne, vs, ve, at);
    }
  }
}
