import { Client } from 'undici';
import { maxCompressedLength, SnappyCompressor } from './snappy.js';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, RETRY_AFTER_MAX_MS, type PushOptions } from './push-options.js';
import { latencyBucket, P, statusSlot } from './push-counters.js';
import { version } from '../common/version.js';

/** What a sender fills: the v1 or v2 encoder (encode-v1.ts). */
export interface PushEncoder {
  readonly buf: Uint8Array;
  length: number;
  samples: number;
  reset(): void;
  beginExporter(id: number, t: number, epochMs: number): void;
  readonly currentEpoch: number;
  appendLine(i: number): void;
  appendStale(i: number, epoch: number): void;
}

interface Batch {
  body: Uint8Array;
  length: number;
  samples: number;
  raw: number;
  attempts: number;
  dropped: boolean;
}

const HEADERS = {
  1: { 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0' },
  2: { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' },
} as const;

/**
 * One connection to the receiver with one request in flight (as one of Prometheus's
 * remote-write shards): the exporters bound to it fill its encoder, a full batch is
 * compressed into a pooled buffer and queued, and the queue is sent in order, so a series'
 * samples arrive in time order even across retries. 5xx, 429, timeouts and lost connections
 * are retried with exponential backoff (a Retry-After honoured); any other 4xx rejects the
 * batch, counted by status, and is never retried.
 */
export class Sender {
  readonly encoder: PushEncoder;
  private readonly client: Client;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly snappy = new SnappyCompressor();
  private readonly scratch: Uint8Array;
  private readonly pool: Uint8Array[] = [];
  private readonly queue: Batch[] = [];
  private queued = 0;
  private inFlight: Batch | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private openedAt = 0;
  private closed = false;
  private readonly said = new Set<string>();

  constructor(
    encoder: PushEncoder,
    private readonly o: PushOptions,
    private readonly counts: Float64Array,
    /** Samples this sender may hold queued before its oldest batch is dropped. */
    private readonly maxQueued: number,
    /** A line for the user, once per distinct cause (a rejection status, a receiver that is not 2.0). */
    private readonly say: (line: string, key: string) => void,
  ) {
    this.encoder = encoder;
    const u = new URL(o.url);
    this.path = u.pathname + u.search;
    this.headers = { ...HEADERS[o.protocol], 'content-encoding': 'snappy', 'user-agent': `promsoak/${version}` };
    this.client = new Client(u.origin, {
      pipelining: 1,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      connect: { timeout: Math.min(o.timeoutMs, 10_000) },
      keepAliveTimeout: 60_000,
    });
    this.scratch = new Uint8Array(maxCompressedLength(encoder.buf.length));
  }

  /** Call before appending a sample: seals the batch when it holds `batch` samples. */
  room(): void {
    if (this.encoder.samples >= this.o.batch) this.seal();
  }

  /** Called when an exporter's samples start a new batch: when it must leave by (BATCH_DEADLINE_MS). */
  get openSince(): number {
    return this.encoder.samples === 0 ? Infinity : this.openedAt;
  }

  markOpened(now: number): void {
    if (this.encoder.samples === 0) this.openedAt = now;
  }

  /** Compresses the open batch into a pooled buffer and queues it. */
  seal(): void {
    const enc = this.encoder;
    if (enc.samples === 0) return;
    const n = this.snappy.compress(enc.buf, enc.length, this.scratch);
    const body = this.take(n);
    body.set(this.scratch.subarray(0, n));
    this.queue.push({ body, length: n, samples: enc.samples, raw: enc.length, attempts: 0, dropped: false });
    this.queued += enc.samples;
    enc.reset();
    // The backlog bound: the oldest batches not in flight go first.
    while (this.queued > this.maxQueued && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queued -= old.samples;
      this.counts[P.DroppedBacklog]! += old.samples;
      this.counts[P.Backlog]! -= old.samples;
      this.give(old.body);
    }
    this.pump();
  }

  /** Samples queued or in flight. */
  get pending(): number {
    return this.queued + (this.inFlight?.samples ?? 0);
  }

  private take(n: number): Uint8Array {
    for (let i = 0; i < this.pool.length; i++) {
      if (this.pool[i]!.length >= n) {
        const b = this.pool[i]!;
        this.pool[i] = this.pool[this.pool.length - 1]!;
        this.pool.pop();
        return b;
      }
    }
    return new Uint8Array(Math.ceil(n * 1.25));
  }

  private give(b: Uint8Array): void {
    if (this.pool.length < 64) this.pool.push(b);
  }

  private pump(): void {
    if (this.inFlight || this.closed || this.queue.length === 0) return;
    const b = this.queue.shift()!;
    this.queued -= b.samples;
    this.inFlight = b;
    this.send(b);
  }

  private send(b: Batch): void {
    const c = this.counts;
    c[P.Requests]!++;
    c[P.BytesWire]! += b.length;
    c[P.BytesRaw]! += b.raw;
    if (b.attempts === 0) c[P.Sent]! += b.samples;
    else {
      c[P.RetriedRequests]!++;
      c[P.RetriedSamples]! += b.samples;
    }
    const started = performance.now();
    this.client
      .request({ path: this.path, method: 'POST', headers: this.headers, body: b.body.subarray(0, b.length) })
      .then(
        async (res) => {
          const status = res.statusCode;
          // Read a rejection's reason (bounded); drain anything else.
          const text = status >= 400 && status !== 429 ? await readSome(res.body, 512) : (await res.body.dump().catch(() => null), '');
          // Closed while the body was read: close() already counted this batch as dropped at stop.
          if (this.inFlight !== b) return;
          c[P.Latency + latencyBucket(performance.now() - started)]!++;
          this.answered(b, status, res.headers, text);
        },
        (e: Error) => {
          if (this.inFlight !== b) return;
          c[P.NetworkErrors]!++;
          this.sayOnce(`net:${(e as { code?: string }).code ?? e.name}`, `remote write to ${this.o.url}: ${e.message}; retrying`);
          this.retry(b, undefined);
        },
      );
  }

  private answered(b: Batch, status: number, headers: Record<string, string | string[] | undefined>, text: string): void {
    const c = this.counts;
    if (status >= 200 && status < 300) {
      c[P.RequestsOk]!++;
      c[P.Acked]! += b.samples;
      if (this.o.protocol === 2) {
        const written = headers['x-prometheus-remote-write-samples-written'];
        if (written === undefined) this.sayOnce('v2-none', `the receiver at ${this.o.url} answered ${status} without X-Prometheus-Remote-Write-Samples-Written: not a remote write 2.0 receiver`);
        else {
          const n = samplesWritten(written, b.samples);
          if (n === undefined) this.sayOnce('v2-bad', `the receiver at ${this.o.url} answered X-Prometheus-Remote-Write-Samples-Written: ${oneLine(String(written)).slice(0, 40)}, not a count from 0 to the ${b.samples} samples sent: not counted as written`);
          else c[P.Written]! += n;
        }
      }
      return this.done(b);
    }
    if (status === 429 || status >= 500) {
      c[status === 429 ? P.TooMany : P.ServerErrors]!++;
      this.sayOnce(`s${status}`, `the receiver answered ${status}${text ? ` (${oneLine(text)})` : ''}; retrying with backoff`);
      return this.retry(b, retryAfter(headers['retry-after']));
    }
    c[P.Rejected]! += b.samples;
    c[P.Status + statusSlot(status)]! += b.samples;
    const why =
      status === 413
        ? `the receiver refused a request of ${b.samples} samples (${b.length} bytes compressed, ${b.raw} raw) as too large (413): lower --batch`
        : status === 415 && this.o.protocol === 2
          ? `the receiver does not take remote write 2.0 (415${text ? `: ${oneLine(text)}` : ''}): push remote-write (1.0)`
          : `the receiver rejected ${b.samples} samples with ${status}${text ? `: ${oneLine(text)}` : ''}`;
    this.sayOnce(`s${status}`, why);
    this.done(b);
  }

  private done(b: Batch): void {
    this.counts[P.Backlog]! -= b.samples;
    this.inFlight = null;
    this.give(b.body);
    this.pump();
  }

  private retry(b: Batch, afterMs: number | undefined): void {
    if (this.closed) return;
    b.attempts++;
    // A Retry-After is a floor on the backoff, not a replacement: "0" or a date past, answered with every 503, was a retry loop as fast as the receiver answered.
    const backoff = Math.max(afterMs ?? 0, Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(20, b.attempts - 1)));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      // Dropped meanwhile by the backlog bound? (The bound drops queued batches only; this one is in flight.)
      this.send(b);
    }, backoff);
  }

  private sayOnce(key: string, line: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.say(line, key);
  }

  /** Stops sending: what is still queued or in flight is counted as dropped at stop; the connection is closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const left = this.pending + this.encoder.samples;
    this.counts[P.DroppedStop]! += left;
    this.counts[P.Backlog]! -= left;
    this.queue.length = 0;
    this.queued = 0;
    this.inFlight = null;
    this.encoder.reset();
    await this.client.destroy().catch(() => {});
  }
}

/**
 * At most `max` bytes of a rejection's body as text. Past them the body is destroyed (its
 * connection with it), so a receiver that answers with an endless body cannot hold the sender.
 */
async function readSome(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, max: number): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.length, max - text.length)).toString('latin1');
      if (text.length >= max) break;
    }
  } catch {
    // A body cut short: what came is the reason.
  }
  body.destroy();
  return Buffer.from(text, 'latin1').toString('utf8');
}

/** X-Prometheus-Remote-Write-Samples-Written as a whole number from 0 to the samples sent; undefined when it is anything else (twice, negative, 1e300, garbage). */
export function samplesWritten(v: string | string[] | undefined, sent: number): number | undefined {
  if (typeof v !== 'string' || !/^\s*\d{1,15}\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n <= sent ? n : undefined;
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, 200);
}

/** Retry-After as seconds or an HTTP date, ms from now, bounded; undefined when absent or unreadable. */
export function retryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  // Seconds, or an HTTP date (IMF-fixdate, with its weekday name): not whatever else Date.parse guesses at ("-5" is a year).
  const secs = /^\d+$/.test(s.trim()) ? Number(s.trim()) * 1000 : /^[A-Za-z]{3}, /.test(s.trim()) ? Date.parse(s) - Date.now() : NaN;
  if (!Number.isFinite(secs)) return undefined;
  return Math.max(0, Math.min(RETRY_AFTER_MAX_MS, secs));
}
