import { RemoteWriteError } from './rw-error.js';

/**
 * A remote-write TimeSeries' labels (its `repeated Label labels = 1` fields), on a scrape-cache
 * miss only: checked as Prometheus checks them, then decoded to strings for the head. A label
 * set seen before never comes here (its bytes are a cache hit).
 *
 * Checked: each Label a name (field 1) and a value (field 2), both length-delimited; names
 * valid (`[a-zA-Z_][a-zA-Z0-9_]*`), in strictly increasing byte order (sorted, no duplicate);
 * `__name__` present with a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`); values UTF-8.
 */

const NAME = Uint8Array.from(Buffer.from('__name__'));
const JOB = Uint8Array.from(Buffer.from('job'));
const INSTANCE = Uint8Array.from(Buffer.from('instance'));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Where one Label's name and value are in the buffer (reused by the walk: one per receiver). */
export class LabelSpans {
  /** Per label: name start, name end, value start, value end. */
  at = new Int32Array(64);
  n = 0;
  /** The label's offset, per label (for error messages). */
  fieldAt = new Int32Array(16);

  push(ns: number, ne: number, vs: number, ve: number, fieldAt: number): void {
    if (this.n * 4 === this.at.length) {
      const a = new Int32Array(this.at.length * 2);
      a.set(this.at);
      this.at = a;
      const f = new Int32Array(this.fieldAt.length * 2);
      f.set(this.fieldAt);
      this.fieldAt = f;
    }
    const k = this.n * 4;
    this.at[k] = ns;
    this.at[k + 1] = ne;
    this.at[k + 2] = vs;
    this.at[k + 3] = ve;
    this.fieldAt[this.n++] = fieldAt;
  }
}

/** Throws a RemoteWriteError for the first label of `spans` that Prometheus would refuse. */
export function checkLabels(buf: Uint8Array, spans: LabelSpans, seriesAt: number): void {
  const at = spans.at;
  let hasName = false;
  for (let i = 0; i < spans.n; i++) {
    const ns = at[i * 4]!;
    const ne = at[i * 4 + 1]!;
    const vs = at[i * 4 + 2]!;
    const ve = at[i * 4 + 3]!;
    const where = spans.fieldAt[i]!;
    if (!validName(buf, ns, ne, false)) throw new RemoteWriteError(`invalid label name ${quote(buf, ns, ne)}`, where);
    if (i > 0) {
      const c = compare(buf, at[i * 4 - 4]!, at[i * 4 - 3]!, ns, ne);
      if (c === 0) throw new RemoteWriteError(`duplicate label name ${quote(buf, ns, ne)}`, where);
      if (c > 0) throw new RemoteWriteError(`labels not sorted: ${quote(buf, ns, ne)} after ${quote(buf, at[i * 4 - 4]!, at[i * 4 - 3]!)}`, where);
    }
    if (equals(buf, ns, ne, NAME)) {
      hasName = true;
      if (!validName(buf, vs, ve, true)) throw new RemoteWriteError(`invalid metric name ${quote(buf, vs, ve)}`, where);
    } else if (!validUtf8(buf, vs, ve)) {
      throw new RemoteWriteError(`label ${quote(buf, ns, ne)}: value is not UTF-8`, where);
    }
  }
  if (!hasName) throw new RemoteWriteError('series without __name__', seriesAt);
}

/**
 * The checked labels as the head takes them: [metricName, name1, value1, …] without
 * `__name__`, sorted as sent (allocates: a miss only).
 */
export function decodeLabels(buf: Uint8Array, spans: LabelSpans): string[] {
  const at = spans.at;
  const out: string[] = [''];
  for (let i = 0; i < spans.n; i++) {
    const ns = at[i * 4]!;
    const ne = at[i * 4 + 1]!;
    const value = utf8.decode(buf.subarray(at[i * 4 + 2]!, at[i * 4 + 3]!));
    if (equals(buf, ns, ne, NAME)) out[0] = value;
    else out.push(utf8.decode(buf.subarray(ns, ne)), value);
  }
  return out;
}

/** The head's target name for a pushed series: its job and instance labels (one ring of timestamps per pushing target). */
export function pushTargetName(buf: Uint8Array, spans: LabelSpans): string {
  let job = '';
  let instance = '';
  const at = spans.at;
  for (let i = 0; i < spans.n; i++) {
    const ns = at[i * 4]!;
    const ne = at[i * 4 + 1]!;
    if (equals(buf, ns, ne, JOB)) job = utf8.decode(buf.subarray(at[i * 4 + 2]!, at[i * 4 + 3]!));
    else if (equals(buf, ns, ne, INSTANCE)) instance = utf8.decode(buf.subarray(at[i * 4 + 2]!, at[i * 4 + 3]!));
  }
  return `remote-write\u0000${job}\u0000${instance}`;
}

function validName(buf: Uint8Array, s: number, e: number, metric: boolean): boolean {
  if (e <= s) return false;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (metric && c === 58) || (i > s && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

function validUtf8(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    if (buf[i]! >= 0x80) {
      try {
        utf8.decode(buf.subarray(s, e));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

function compare(buf: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = buf[as + i]! - buf[bs + i]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

function equals(buf: Uint8Array, s: number, e: number, lit: Uint8Array): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[s + i] !== lit[i]) return false;
  return true;
}

/** A name for an error line: at most 64 bytes, control and non-ASCII bytes escaped. */
function quote(buf: Uint8Array, s: number, e: number): string {
  let out = '"';
  for (let i = s; i < Math.min(e, s + 64); i++) {
    const c = buf[i]!;
    out += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out + (e - s > 64 ? '…"' : '"');
}
