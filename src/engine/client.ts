import { ScrapeError } from '../common/errors.js';
import type { ScrapeTarget } from './targets.js';
import { Connection, type ConnectionPool } from './connection.js';
import { Deadlines, Request, type RequestQueue, type ScrapeCallback } from './request.js';
import { FIRST_BODY_BUFFER } from './response-reader.js';

export type { ScrapeCallback };

/** What Prometheus 2.42 sends (scrape/scrape.go, acceptHeader). */
export const ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeClientOptions {
  /** Connections per origin (the fleet is one origin); default 16. */
  connections?: number;
  /** Body size limit in bytes (0: none), as Prometheus's body_size_limit. */
  bodyLimit?: number;
  userAgent?: string;
  /** Idle keep-alive connections are closed after this long (ms), or earlier when the server's Keep-Alive hint says so; default 60 s. */
  keepAliveTimeoutMs?: number;
}

/**
 * The engine's HTTP/1.1 client: keep-alive connections per origin (at most `connections`,
 * requests queue beyond that), one request at a time per connection.
 *
 * Why not undici (the design's first choice, still used by `promsoak parse <url>`): undici reads
 * the socket with `socket.read()`, and Node allocates a fresh ArrayBuffer backing store for every
 * socket read (external memory, ≈ the body's size per scrape: 30 kB × 200 scrapes/s here).
 * V8 counts that towards its external-memory GC trigger, which started full mark-compacts in
 * the soak. This client opens its sockets with `onread: { buffer, callback }`: Node reads
 * straight into a buffer the connection owns, and the body is copied into a second owned
 * buffer (grown to the largest body, then reused). In steady state a scrape allocates no
 * external memory: a connection writes each request into a buffer of its own (the path, then
 * the headers, encoded once per pool: nothing is kept per target), and the heap allocation
 * is a timer, a body view and a few small objects.
 *
 * Responses: status line, headers (Content-Length, Transfer-Encoding: chunked, Content-Type,
 * Connection, Keep-Alive: timeout=), bodies by Content-Length, chunked, or until close. A
 * non-200 status reads and discards the body (the connection stays usable) and fails the
 * scrape as Prometheus words it: "server returned HTTP status 404 Not Found".
 * A request on a reused connection that the server closed before answering (the keep-alive
 * race) is retried once on a fresh connection; GET is idempotent.
 *
 * Here: the client and its pool per origin. A connection is connection.ts; how it reads a
 * response, response-reader.ts (body framing, chunked) and response-head.ts (the head); a
 * scrape in flight (callback, timeout), request.ts.
 */
export class ScrapeClient {
  private readonly pools = new Map<string, Pool>();
  private readonly bodyLimit: number;
  private readonly maxConnections: number;
  private readonly keepAliveMs: number;
  private readonly userAgent: string;
  private closed = false;
  /** The requests in flight, by their timeout (the engine uses one). */
  private readonly deadlines = new Map<number, Deadlines>();
  /** Bytes of body buffers ever allocated (for the benchmark: garbage that reuse avoids). */
  bufferBytesAllocated = 0;
  /** Connections ever opened (keep-alive reuse keeps this at the pool size). */
  connectionsOpened = 0;

  constructor(options: ScrapeClientOptions = {}) {
    this.bodyLimit = options.bodyLimit ?? 0;
    this.maxConnections = Math.max(1, options.connections ?? 16);
    this.keepAliveMs = options.keepAliveTimeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'promsoak-engine/0.1';
  }

  /** Scrapes target; cb gets the body (or the error) and `tag`. */
  scrape(target: ScrapeTarget, timeoutMs: number, cb: ScrapeCallback, tag = 0): void {
    if (this.closed) {
      cb(new ScrapeError('scrape client closed'), null, '', tag);
      return;
    }
    let pool = this.pools.get(target.origin);
    if (pool === undefined) {
      let parsed: { host: string; port: number; hostHeader: string };
      try {
        parsed = parseOrigin(target.origin);
      } catch (e) {
        cb(e as Error, null, '', tag);
        return;
      }
      pool = new Pool(this, parsed.host, parsed.port, parsed.hostHeader);
      this.pools.set(target.origin, pool);
    }
    let deadlines = this.deadlines.get(timeoutMs);
    if (deadlines === undefined) this.deadlines.set(timeoutMs, (deadlines = new Deadlines(timeoutMs)));
    const req = new Request(pool, target.path, pool.tail(timeoutMs), deadlines, cb, tag);
    pool.submit(req);
  }

  close(): Promise<void> {
    this.closed = true;
    const waits: Promise<void>[] = [];
    for (const p of this.pools.values()) waits.push(p.close());
    this.pools.clear();
    for (const d of this.deadlines.values()) d.stop();
    return Promise.all(waits).then(() => undefined);
  }

  /** @internal */
  get limit(): number {
    return this.bodyLimit;
  }
  /** @internal */
  get connectionsPerOrigin(): number {
    return this.maxConnections;
  }
  /** @internal */
  get keepAliveTimeoutMs(): number {
    return this.keepAliveMs;
  }

  /** @internal A body buffer of at least `size` bytes (power of two, ≥ 64 KiB). */
  allocateBody(size: number): Buffer {
    const n = Math.max(FIRST_BODY_BUFFER, 2 ** Math.ceil(Math.log2(size)));
    this.bufferBytesAllocated += n;
    return Buffer.allocUnsafeSlow(n);
  }

  /** @internal What a request to hostHeader says after its path: ` HTTP/1.1` and the headers, through the blank line. */
  requestTail(hostHeader: string, timeoutMs: number): Buffer {
    const text =
      ` HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ${this.userAgent}\r\nAccept: ${ACCEPT_HEADER}\r\n` +
      // Prometheus asks for gzip; the fleet serves identity, and decompression is not what is measured here.
      `Accept-Encoding: identity\r\nX-Prometheus-Scrape-Timeout-Seconds: ${timeoutMs / 1000}\r\n\r\n`;
    return Buffer.from(text, 'latin1');
  }
}

function parseOrigin(origin: string): { host: string; port: number; hostHeader: string } {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new ScrapeError(`invalid target origin ${JSON.stringify(origin)}`);
  }
  if (u.protocol !== 'http:') throw new ScrapeError(`unsupported scheme ${u.protocol.slice(0, -1)} (the engine scrapes http only)`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port === '' ? 80 : Number(u.port), hostHeader: u.host };
}

class Pool implements ConnectionPool, RequestQueue {
  private readonly idle: Connection[] = [];
  private readonly queue: Request[] = [];
  private readonly all = new Set<Connection>();
  /** requestTail() for the last timeout asked (one per engine: encoded once). */
  private tailMs = -1;
  private tailBytes: Buffer = Buffer.alloc(0);

  constructor(
    readonly client: ScrapeClient,
    readonly host: string,
    readonly port: number,
    readonly hostHeader: string,
  ) {}

  /** The bytes after the path of a request with this timeout. */
  tail(timeoutMs: number): Buffer {
    if (timeoutMs !== this.tailMs) {
      this.tailBytes = this.client.requestTail(this.hostHeader, timeoutMs);
      this.tailMs = timeoutMs;
    }
    return this.tailBytes;
  }

  submit(req: Request): void {
    const now = performance.now();
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (c.expiresAt > now && c.usable) {
        c.start(req);
        return;
      }
      c.destroy(null);
    }
    if (this.all.size < this.client.connectionsPerOrigin) {
      this.open().start(req);
      return;
    }
    this.queue.push(req);
  }

  dequeue(req: Request): void {
    const i = this.queue.indexOf(req);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** A connection finished a response and may take the next request. */
  release(c: Connection): void {
    if (!c.usable) {
      c.destroy(null);
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) c.start(next);
    else this.idle.push(c);
  }

  /** A connection is gone: forget it; queued requests get a fresh one. */
  gone(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    const next = this.queue.shift();
    if (next !== undefined) this.submit(next);
  }

  /** Retry a request once on a fresh connection (the server closed a reused one before answering). */
  retry(req: Request): void {
    req.retried = true;
    req.conn = null;
    if (this.all.size < this.client.connectionsPerOrigin) this.open().start(req);
    else this.queue.unshift(req);
  }

  open(): Connection {
    this.client.connectionsOpened++;
    const c = new Connection(this);
    this.all.add(c);
    return c;
  }

  close(): Promise<void> {
    const err = new ScrapeError('scrape client closed');
    for (const r of this.queue.splice(0)) r.finish(err, null, '');
    const waits: Promise<void>[] = [];
    for (const c of this.all) waits.push(c.closeNow(err));
    return Promise.all(waits).then(() => undefined);
  }
}
