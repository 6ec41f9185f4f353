import { Agent, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { ScrapeError } from '../errors.js';
import type { ScrapeTarget } from './targets.js';

/** What Prometheus 2.42 sends (scrape/scrape.go, acceptHeader). */
export const ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeClientOptions {
  /** Connections per origin (the fleet is one origin); default 16. */
  connections?: number;
  /** Body size limit in bytes (0: none), as Prometheus's body_size_limit. */
  bodyLimit?: number;
  userAgent?: string;
}

/**
 * Called once per scrape. `body` is a view of a POOLED buffer: valid only during the call.
 * On error body is null.
 */
export type ScrapeCallback = (err: Error | null, body: Uint8Array | null, contentType: string) => void;

/**
 * The engine's HTTP client: undici's Agent (keep-alive pools, connections bounded) driven
 * through dispatch() with a handler that copies the body's chunks into a buffer taken from a
 * free list and returned after the callback. Bodies are never concatenated: once the pool's
 * buffers have grown to the largest body, a scrape allocates no body memory (undici's own
 * per-chunk Buffer views aside). At most `connections` responses are read at once, so the
 * pool holds about that many buffers.
 */
export class ScrapeClient {
  private readonly agent: Agent;
  private readonly free: Buffer[] = [];
  private readonly bodyLimit: number;
  private readonly headers: Record<string, string>;
  private headersTimeoutMs = -1;
  private headersWithTimeout: Record<string, string> = {};
  /** Bytes of body buffers ever allocated (for the benchmark: garbage that reuse avoids). */
  bufferBytesAllocated = 0;

  constructor(options: ScrapeClientOptions = {}) {
    this.bodyLimit = options.bodyLimit ?? 0;
    this.agent = new Agent({ connections: options.connections ?? 16, pipelining: 1, keepAliveTimeout: 60_000 });
    this.headers = {
      accept: ACCEPT_HEADER,
      'user-agent': options.userAgent ?? 'promsoak-engine/0.1',
      // Prometheus asks for gzip; the fleet serves identity, and decompression is not what is measured here.
      'accept-encoding': 'identity',
    };
  }

  scrape(target: ScrapeTarget, timeoutMs: number, cb: ScrapeCallback): void {
    if (timeoutMs !== this.headersTimeoutMs) {
      this.headersTimeoutMs = timeoutMs;
      this.headersWithTimeout = { ...this.headers, 'x-prometheus-scrape-timeout-seconds': (timeoutMs / 1000).toString() };
    }
    const headers = this.headersWithTimeout;
    const handler = new ScrapeHandler(this, timeoutMs, cb);
    this.agent.dispatch(
      { origin: target.origin, path: target.path, method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      handler,
    );
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** @internal */
  acquire(size: number): Buffer {
    const b = this.free.pop();
    if (b !== undefined && b.length >= size) return b;
    return this.allocate(Math.max(size, b?.length ?? 0));
  }

  /** @internal A bigger buffer holding the first `used` bytes of `old` (old is dropped). */
  enlarge(old: Buffer, used: number, need: number): Buffer {
    const b = this.allocate(Math.max(need, old.length * 2));
    old.copy(b, 0, 0, used);
    return b;
  }

  /** @internal */
  release(b: Buffer): void {
    this.free.push(b);
  }

  /** @internal */
  get limit(): number {
    return this.bodyLimit;
  }

  private allocate(size: number): Buffer {
    const n = Math.max(16_384, 2 ** Math.ceil(Math.log2(size)));
    this.bufferBytesAllocated += n;
    // allocUnsafeSlow: its own ArrayBuffer, not a slice of Node's shared 8 KiB pool.
    return Buffer.allocUnsafeSlow(n);
  }
}

class ScrapeHandler implements Dispatcher.DispatchHandler {
  private buf: Buffer | null = null;
  private len = 0;
  private contentType = '';
  private error: Error | null = null;
  private controller: Dispatcher.DispatchController | null = null;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: ScrapeClient,
    timeoutMs: number,
    private readonly cb: ScrapeCallback,
  ) {
    this.timer = setTimeout(() => this.abort(new ScrapeError(`scrape timed out after ${timeoutMs / 1000}s`)), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(this.error ?? new ScrapeError('scrape cancelled'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode !== 200) {
      // Read and discard the body so the connection stays usable; fail at the end.
      this.error = new ScrapeError(`server returned HTTP status ${statusCode} ${statusMessage ?? ''}`.trimEnd());
      return;
    }
    const ct = headers['content-type'];
    this.contentType = typeof ct === 'string' ? ct : '';
    const cl = Number(headers['content-length'] ?? 0);
    const limit = this.client.limit;
    if (limit > 0 && cl > limit) {
      controller.abort(new ScrapeError(`body size limit exceeded: Content-Length ${cl} > ${limit} bytes`));
      return;
    }
    this.buf = this.client.acquire(cl > 0 ? cl : 65_536);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const buf = this.buf;
    if (buf === null || this.done) return;
    const end = this.len + chunk.length;
    const limit = this.client.limit;
    if (limit > 0 && end > limit) {
      controller.abort(new ScrapeError(`body size limit exceeded: more than ${limit} bytes`));
      return;
    }
    if (end > buf.length) this.buf = this.client.enlarge(buf, this.len, end);
    chunk.copy(this.buf!, this.len);
    this.len = end;
  }

  onResponseEnd(): void {
    this.finish(this.error);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(err instanceof ScrapeError ? err : new ScrapeError(describe(err)));
  }

  private abort(err: Error): void {
    if (this.done) return;
    if (this.controller) {
      this.controller.abort(err);
      // undici reports the abort through onResponseError, which finishes.
      if (!this.done) this.finish(err);
    } else {
      // Still queued for a connection: fail now, abort when it starts.
      this.finish(err);
    }
  }

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    clearTimeout(this.timer);
    const buf = this.buf;
    this.buf = null;
    try {
      if (err !== null || buf === null) this.cb(err ?? new ScrapeError('empty response'), null, this.contentType);
      else this.cb(null, buf.subarray(0, this.len), this.contentType);
    } finally {
      if (buf !== null) this.client.release(buf);
    }
  }
}

/** One line for a connection-level error, Prometheus style ("connect: connection refused"). */
function describe(err: Error): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connect: connection refused';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `scrape timed out (${code})`;
  return `${err.message}${code ? ` (${code})` : ''}`;
}
