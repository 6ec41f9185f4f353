import type { Head } from './head.js';
import { ScrapeCache } from './scrape-cache.js';
import { RemoteWriteError } from './rw-error.js';
import { checkLabels, decodeLabels, pushTargetName } from './rw-labels.js';
import { Key } from './rw-cursor.js';
import { TimeSeriesFields } from './rw-fields.js';

/**
 * TimeSeries of one request whose refs the first walk keeps for the second (2 Int32Arrays of
 * this length at most, grown as requests need): a request of more series looks the rest up
 * twice. Prometheus sends 2000 samples a request by default, vmagent up to 10,000.
 */
const REMEMBERED = 65536;

// Module constants, not imported: an imported binding read per sample boxed the timestamp (16 B/sample, measured).
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * The built-in engine's remote-write 1.0 receiver, from the uncompressed WriteRequest bytes to
 * the head, walking the protobuf in place: no object per series or per sample. A series'
 * identity is the raw bytes of its Label fields, looked up in a ScrapeCache (the scrape path's
 * cache, keyed on bytes as it keys exposition lines): a label set seen before is hashed and
 * compared in place, allocating nothing and making no string; only a miss decodes its labels
 * (rw-labels.ts) and creates the series. Each series is put in the head under a target named by
 * its job and instance labels, so that the series of one pushing target share their timestamps
 * as a scrape's do (head.ts); each sample is appended with its own timestamp and value.
 *
 * A request is all or nothing, as Prometheus's appender is (it rolls back on the first error):
 * a first walk checks everything (structure, lengths, wire types, and the labels of every
 * series not in the cache) and stores nothing; only then a second walk appends, and it cannot
 * fail. A refused request throws a RemoteWriteError naming what and the byte offset.
 *
 * Exemplars and metadata are skipped (Prometheus stores neither by default); a native
 * histogram is refused (this head holds floats only). The stale marker (NaN 0x7ff0000000000002)
 * is a sample like any other, as the scrape path has no staleness of its own. Series are
 * never ended by a request: every `sweepEveryMs` the series that had no sample since the last
 * sweep are released (Prometheus's head drops series without samples at its compaction), so a
 * churning pusher does not grow the head forever.
 */
export class RemoteWriteIngester extends TimeSeriesFields {
  /** The last ingest()'s counts (this object is reused). */
  readonly last = { samples: 0, seriesAdded: 0, timeseries: 0 };
  /** Series released by sweeps, in all. */
  released = 0;
  private readonly cache = new ScrapeCache(1024);
  /** Samples the last otherField() appended (0 or 1). */
  private otherAppended = 0;
  /** Per TimeSeries of the request (the first REMEMBERED): its ref found by the first walk (-1: none), where its samples start. */
  private refs = new Int32Array(1024);
  private samplesAt = new Int32Array(1024);
  /** TimeSeries remembered by the first walk of this request. */
  private known = 0;
  private lastSweep: number;

  constructor(
    readonly head: Head,
    private readonly sweepEveryMs = 10 * 60_000,
    nowMs = Date.now(),
  ) {
    super();
    this.lastSweep = nowMs;
    this.cache.iterStart();
  }

  /** Series the receiver holds in the head. */
  get series(): number {
    return this.cache.size;
  }

  /** Bytes of the receiver's own arrays (its cache, its scratch). */
  get bytes(): number {
    return this.cache.bytes + this.key.byteLength + this.spans.at.byteLength + this.spans.fieldAt.byteLength + this.refs.byteLength + this.samplesAt.byteLength;
  }

  /**
   * One WriteRequest, buf[0, n): checked whole, then appended. Returns the samples appended.
   * Throws a RemoteWriteError (nothing stored) for a request Prometheus would refuse.
   * MUST stay allocation-free for series seen before: runs once per request over every sample.
   */
  ingest(buf: Uint8Array, n: number, nowMs = Date.now()): number {
    if (nowMs - this.lastSweep >= this.sweepEveryMs) this.sweep(nowMs);
    const last = this.last;
    last.samples = 0;
    last.seriesAdded = 0;
    last.timeseries = 0;
    if (this.dv.buffer !== buf.buffer || this.dv.byteOffset !== buf.byteOffset) this.dv = new DataView(buf.buffer, buf.byteOffset);
    this.known = 0;
    this.walk(buf, n, false);
    const samples = this.walk(buf, n, true);
    last.samples = samples;
    return samples;
  }

  /** Releases every series without a sample since the last sweep. */
  sweep(nowMs: number): void {
    const dropped = this.cache.iterDone();
    for (let i = 0; i < dropped.length; i++) this.head.release(dropped[i]!);
    this.released += dropped.length;
    this.cache.iterStart();
    this.lastSweep = nowMs;
  }

  /** The WriteRequest's fields: check (apply false) or append (true). Returns the samples. */
  private walk(buf: Uint8Array, end: number, apply: boolean): number {
    this.p = 0;
    let samples = 0;
    let series = 0;
    while (this.p < end) {
      const at = this.p;
      const key = this.tag(buf, end);
      if (key === Key.Len1) {
        const len = this.len(buf, end);
        const s = this.p;
        samples += apply ? this.append(buf, s, s + len, series) : this.check(buf, s, s + len, series);
        this.p = s + len;
        series++;
      } else if (key >>> 3 === 1) {
        throw new RemoteWriteError(`WriteRequest.timeseries with wire type ${key & 7}, not 2`, at);
      } else {
        this.skip(buf, end, key, at);
      }
    }
    this.last.timeseries = series;
    return samples;
  }

  /** TimeSeries buf[s, e), first walk: every field checked, its labels too on a cache miss. Returns its samples. */
  private check(buf: Uint8Array, s: number, e: number, index: number): number {
    let ls = -1;
    let le = -1;
    let contiguous = true;
    let samples = 0;
    this.p = s;
    while (this.p < e) {
      const at = this.p;
      const key = this.tag(buf, e);
      if (key === Key.Len1) {
        const len = this.len(buf, e);
        if (ls < 0) ls = at;
        else if (le !== at) contiguous = false;
        this.p += len;
        le = this.p;
      } else if (key === Key.Len2) {
        const len = this.len(buf, e);
        const a = this.p;
        this.checkSample(buf, a, a + len);
        this.p = a + len;
        samples++;
      } else if (key === Key.Histograms) {
        throw new RemoteWriteError('native histograms are not stored by this receiver', at);
      } else if (key >>> 3 === 1 || key >>> 3 === 2 || key >>> 3 === 4) {
        throw new RemoteWriteError(`TimeSeries field ${key >>> 3} with wire type ${key & 7}, not 2`, at);
      } else {
        this.skip(buf, e, key, at);
      }
    }
    if (ls < 0) throw new RemoteWriteError('series without labels (no __name__)', s);
    const ref = contiguous ? this.cache.getView(this.dv, buf, ls, le) : this.cache.get(this.gatherKey(buf, s, e), 0, this.keyLength);
    if (ref < 0) {
      this.labelSpans(buf, s, e);
      checkLabels(buf, this.spans, s);
    }
    this.remember(index, ref, contiguous && ls === s ? le : s);
    return samples;
  }

  /** TimeSeries buf[s, e) (checked), second walk: its series (created on a miss) and its samples appended. */
  private append(buf: Uint8Array, s: number, e: number, index: number): number {
    // Found by the first walk: its ref and where its samples start (no second lookup).
    if (index < this.known && this.refs[index]! >= 0) return this.appendSamples(buf, this.refs[index]!, this.samplesAt[index]!, e);
    // The labels' span; where the samples start when every Label field comes first (the usual).
    let ls = -1;
    let le = -1;
    let contiguous = true;
    this.p = s;
    while (this.p < e) {
      const at = this.p;
      const key = this.tag(buf, e);
      if (key === Key.Len1) {
        const len = this.len(buf, e);
        if (ls < 0) ls = at;
        else if (le !== at) contiguous = false;
        this.p += len;
        le = this.p;
      } else if (key === Key.Len2) {
        this.skipLen(buf, e);
      } else {
        this.skip(buf, e, key, at);
      }
    }
    let ref: number;
    if (contiguous) ref = this.resolve(buf, ls, le, buf, s, e);
    else ref = this.resolve(this.gatherKey(buf, s, e), 0, this.keyLength, buf, s, e);
    return this.appendSamples(buf, ref, contiguous && ls === s ? le : s, e);
  }

  /**
   * The samples of a checked TimeSeries, fields buf[p, e), appended to series ref; returns how
   * many. A Sample as encoders write it (`09` value, `10` timestamp, either left out when 0,
   * under 128 bytes) is read here inline; anything else through sample(). The timestamp's
   * varint inline (a varint() returning the timestamp cost 16 B a sample, measured), and the
   * sample handed to the head in its io, so that no double is boxed for a call V8 does not inline.
   * MUST stay allocation-free: runs once per sample.
   */
  private appendSamples(buf: Uint8Array, ref: number, p: number, e: number): number {
    const head = this.head;
    const io = head.io;
    const dv = this.dv;
    let n = 0;
    while (p < e) {
      const k = buf[p]!;
      const len = buf[p + 1]!;
      if (k !== Key.Len2 || len >= 0x80) {
        p = this.otherField(buf, ref, p, e);
        n += this.otherAppended;
        continue;
      }
      const b = p + 2 + len;
      p += 2;
      let value = 0;
      let t = 0;
      if (p < b && buf[p] === Key.Value) {
        value = dv.getFloat64(p + 1, true);
        p += 9;
      }
      if (p < b && buf[p] === Key.Timestamp) {
        let x = buf[++p]!;
        p++;
        t = x & 0x7f;
        let mul = 128;
        while (x >= 0x80) {
          x = buf[p++]!;
          t += (x & 0x7f) * mul;
          mul *= 128;
        }
        if (t >= TWO_63) t -= TWO_64;
      }
      if (p !== b) {
        this.sample(buf, b - len, b);
        value = this.sv;
        t = this.st;
      }
      io[0] = t;
      io[1] = value;
      head.put(ref);
      n++;
      p = b;
    }
    return n;
  }

  /** The field at buf[p] (of a checked TimeSeries) that appendSamples() does not read inline: a Sample of 128 bytes or more is appended; others skipped. Returns the offset after it. */
  private otherField(buf: Uint8Array, ref: number, p: number, e: number): number {
    this.p = p;
    const key = this.tag(buf, e);
    this.otherAppended = 0;
    if (key !== Key.Len2) {
      this.skip(buf, e, key, p);
      return this.p;
    }
    const a = this.len(buf, e) + this.p;
    this.sample(buf, this.p, a);
    this.head.append(ref, this.st, this.sv);
    this.otherAppended = 1;
    return a;
  }

  /** The first walk's ref (-1: a miss) of the index-th TimeSeries and where its samples start, for the first REMEMBERED series. */
  private remember(index: number, ref: number, samplesAt: number): void {
    if (index >= this.refs.length) {
      if (index >= REMEMBERED) return;
      const refs = new Int32Array(this.refs.length * 2);
      refs.set(this.refs);
      this.refs = refs;
      const at = new Int32Array(this.refs.length);
      at.set(this.samplesAt);
      this.samplesAt = at;
    }
    this.refs[index] = ref;
    this.samplesAt[index] = samplesAt;
    this.known = index + 1;
  }

  /** The series of the label key kb[ks, ke): a cache hit, or a new series from the TimeSeries buf[s, e). */
  private resolve(kb: Uint8Array, ks: number, ke: number, buf: Uint8Array, s: number, e: number): number {
    let ref = this.cache.get(kb, ks, ke);
    if (ref >= 0) return ref;
    this.labelSpans(buf, s, e);
    const head = this.head;
    ref = head.create(decodeLabels(buf, this.spans), head.target(pushTargetName(buf, this.spans)));
    this.cache.add(kb, ks, ke, ref);
    this.last.seriesAdded++;
    return ref;
  }

}
