import { connect, type Socket } from 'node:net';
import { ScrapeError } from '../common/errors.js';
import type { ScrapeTarget } from './targets.js';
import { MAX_HEAD, parseResponseHead, ResponseHead } from './response-head.js';

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
 * Called once per scrape. `body` is a view of a connection's REUSED buffer: valid only during
 * the call. On error body is null.
 */
export type ScrapeCallback = (err: Error | null, body: Uint8Array | null, contentType: string) => void;

/** Bytes of one socket read (Node reads into this per-connection buffer: `onread`). */
const READ_BUFFER = 65_536;
const FIRST_BODY_BUFFER = 65_536;

const CR = 13;
const LF = 10;

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
 * external memory: the request bytes are encoded once per target, and the heap allocation
 * is a timer, a body view and a few small objects.
 *
 * Responses: status line, headers (Content-Length, Transfer-Encoding: chunked, Content-Type,
 * Connection, Keep-Alive: timeout=), bodies by Content-Length, chunked, or until close. A
 * non-200 status reads and discards the body (the connection stays usable) and fails the
 * scrape as Prometheus words it: "server returned HTTP status 404 Not Found".
 * A request on a reused connection that the server closed before answering (the keep-alive
 * race) is retried once on a fresh connection; GET is idempotent.
 */
export class ScrapeClient {
  private readonly pools = new Map<string, Pool>();
  private readonly bodyLimit: number;
  private readonly maxConnections: number;
  private readonly keepAliveMs: number;
  private readonly userAgent: string;
  private readonly requests = new WeakMap<ScrapeTarget, { timeoutMs: number; bytes: Buffer }>();
  private closed = false;
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

  scrape(target: ScrapeTarget, timeoutMs: number, cb: ScrapeCallback): void {
    if (this.closed) {
      cb(new ScrapeError('scrape client closed'), null, '');
      return;
    }
    let pool = this.pools.get(target.origin);
    if (pool === undefined) {
      let parsed: { host: string; port: number; hostHeader: string };
      try {
        parsed = parseOrigin(target.origin);
      } catch (e) {
        cb(e as Error, null, '');
        return;
      }
      pool = new Pool(this, parsed.host, parsed.port, parsed.hostHeader);
      this.pools.set(target.origin, pool);
    }
    const req = new Request(pool, this.requestBytes(target, timeoutMs, pool.hostHeader), timeoutMs, cb);
    pool.submit(req);
  }

  close(): Promise<void> {
    this.closed = true;
    const waits: Promise<void>[] = [];
    for (const p of this.pools.values()) waits.push(p.close());
    this.pools.clear();
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

  /** The request's bytes, encoded once per target (and again only if the timeout changes). */
  private requestBytes(target: ScrapeTarget, timeoutMs: number, hostHeader: string): Buffer {
    const cached = this.requests.get(target);
    if (cached !== undefined && cached.timeoutMs === timeoutMs) return cached.bytes;
    const text =
      `GET ${target.path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ${this.userAgent}\r\nAccept: ${ACCEPT_HEADER}\r\n` +
      // Prometheus asks for gzip; the fleet serves identity, and decompression is not what is measured here.
      `Accept-Encoding: identity\r\nX-Prometheus-Scrape-Timeout-Seconds: ${timeoutMs / 1000}\r\n\r\n`;
    const bytes = Buffer.from(text, 'latin1');
    this.requests.set(target, { timeoutMs, bytes });
    return bytes;
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

class Request {
  conn: Connection | null = null;
  done = false;
  retried = false;
  readonly timer: NodeJS.Timeout;

  constructor(
    readonly pool: Pool,
    readonly bytes: Buffer,
    readonly timeoutMs: number,
    private readonly cb: ScrapeCallback,
  ) {
    this.timer = setTimeout(onRequestTimeout, timeoutMs, this);
  }

  finish(err: Error | null, body: Uint8Array | null, contentType: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    try {
      this.cb(err, body, contentType);
    } catch (e) {
      // The caller's exception is not the connection's: rethrow it outside the socket's read.
      process.nextTick(() => {
        throw e;
      });
    }
  }
}

function onRequestTimeout(req: Request): void {
  if (req.done) return;
  const err = new ScrapeError(`scrape timed out after ${req.timeoutMs / 1000}s`);
  if (req.conn !== null) req.conn.destroy(err);
  else {
    req.pool.dequeue(req);
    req.finish(err, null, '');
  }
}

class Pool {
  private readonly idle: Connection[] = [];
  private readonly queue: Request[] = [];
  private readonly all = new Set<Connection>();

  constructor(
    readonly client: ScrapeClient,
    readonly host: string,
    readonly port: number,
    readonly hostHeader: string,
  ) {}

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

const enum St {
  /** No request. */
  Idle,
  /** Reading the status line and headers. */
  Head,
  /** Body by Content-Length. */
  Length,
  /** Body until the server closes. */
  UntilClose,
  /** Chunked: the chunk-size line. */
  ChunkSize,
  /** Chunked: chunk data. */
  ChunkData,
  /** Chunked: the CRLF after chunk data. */
  ChunkDataEnd,
  /** Chunked: trailer lines up to the empty line. */
  Trailer,
}

class Connection {
  readonly socket: Socket;
  /** False once the connection must not take another request. */
  usable = true;
  expiresAt = Infinity;
  private readonly readBuf = Buffer.allocUnsafeSlow(READ_BUFFER);
  /** The response head's bytes, accumulated until its empty line. */
  private headBuf = Buffer.allocUnsafeSlow(4096);
  private headLen = 0;
  private body: Buffer | null = null;
  private bodyLen = 0;
  private st = St.Idle;
  private req: Request | null = null;
  /** Bytes of the response received so far (0: the server has said nothing: a retry is safe). */
  private received = 0;
  private requestsServed = 0;
  private dead = false;
  private closedPromise: Promise<void>;
  /** The head of the response being read (one per connection, reused). */
  private readonly resp = new ResponseHead();
  // The chunked body being read.
  private chunkLeft = 0;
  private chunkSizeDigits = 0;
  private chunkInExt = false;
  private lineLen = 0;
  /** complete() ran during this read: release the connection once the read is consumed. */
  private responseDone = false;

  constructor(private readonly pool: Pool) {
    this.socket = connect({
      host: pool.host,
      port: pool.port,
      noDelay: true,
      keepAlive: true,
      onread: { buffer: this.readBuf, callback: (n: number) => this.onRead(n) },
    });
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (e: Error) => this.fail(new ScrapeError(describe(e)), true));
    this.closedPromise = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once('close', () => {
      this.dead = true;
      this.usable = false;
      if (this.req !== null) this.fail(new ScrapeError(this.midResponse('the server closed the connection')), true);
      this.pool.gone(this);
    });
  }

  start(req: Request): void {
    req.conn = this;
    this.req = req;
    this.st = St.Head;
    this.headLen = 0;
    this.received = 0;
    this.expiresAt = Infinity;
    this.socket.write(req.bytes);
  }

  /** Ends the connection; a request on it fails with `err` (or a generic error). */
  destroy(err: Error | null): void {
    this.usable = false;
    const req = this.req;
    this.req = null;
    this.st = St.Idle;
    if (!this.dead) {
      this.dead = true;
      this.socket.destroy();
    }
    if (req !== null) req.finish(err ?? new ScrapeError('connection closed'), null, '');
  }

  closeNow(err: Error): Promise<void> {
    this.destroy(err);
    return this.closedPromise;
  }

  private onEnd(): void {
    if (this.req !== null && this.st === St.UntilClose) {
      this.usable = false;
      try {
        this.complete();
      } finally {
        this.responseDone = false;
        this.destroy(null);
      }
      return;
    }
    if (this.req !== null) this.fail(new ScrapeError(this.midResponse('the server closed the connection')), true);
    this.destroy(null);
  }

  private midResponse(what: string): string {
    if (this.st === St.Head) return this.received === 0 ? `${what} before responding` : `${what} in the response headers`;
    if (this.st === St.Length) return `${what} mid-body (${this.bodyLen} of ${this.resp.contentLength} bytes)`;
    return `${what} mid-body (${this.bodyLen} bytes read)`;
  }

  /** A failure of the request in flight; retried once if the server said nothing on a reused connection. */
  private fail(err: Error, connectionLost: boolean): void {
    const req = this.req;
    this.req = null;
    this.st = St.Idle;
    this.usable = false;
    if (req !== null && connectionLost && this.received === 0 && this.requestsServed > 0 && !req.retried && !req.done) {
      if (!this.dead) {
        this.dead = true;
        this.socket.destroy();
      }
      this.pool.retry(req);
      return;
    }
    this.destroy(null);
    if (req !== null) req.finish(err, null, '');
  }

  private onRead(n: number): boolean {
    if (this.req === null) {
      // Bytes nobody asked for: the connection is out of step.
      this.destroy(null);
      return false;
    }
    this.received += n;
    let at = n;
    try {
      at = this.consume(this.readBuf, 0, n);
    } catch (e) {
      this.fail(e instanceof ScrapeError ? e : new ScrapeError(String(e)), false);
    }
    if (this.responseDone) {
      this.responseDone = false;
      // Bytes after the end of the response: out of step (we never pipeline).
      if (at < n) this.usable = false;
      if (!this.dead) {
        if (this.usable) this.pool.release(this);
        else this.destroy(null);
      }
    }
    return true;
  }

  private consume(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end && this.req !== null) {
      switch (this.st) {
        case St.Head:
          i = this.readHead(buf, i, end);
          break;
        case St.Length: {
          const take = Math.min(end - i, this.resp.contentLength - this.bodyLen);
          this.append(buf, i, i + take);
          i += take;
          if (this.bodyLen === this.resp.contentLength) this.complete();
          break;
        }
        case St.UntilClose:
          this.append(buf, i, end);
          i = end;
          break;
        case St.ChunkSize:
          i = this.readChunkSize(buf, i, end);
          break;
        case St.ChunkData: {
          const take = Math.min(end - i, this.chunkLeft);
          this.append(buf, i, i + take);
          i += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) {
            this.st = St.ChunkDataEnd;
            this.lineLen = 0;
          }
          break;
        }
        case St.ChunkDataEnd: {
          const b = buf[i++]!;
          if (b === LF) this.st = St.ChunkSize;
          else if (b !== CR || this.lineLen++ > 0) throw new ScrapeError('malformed chunked body: no CRLF after chunk data');
          if (this.st === St.ChunkSize) this.resetChunkSize();
          break;
        }
        case St.Trailer: {
          const b = buf[i++]!;
          if (b === LF) {
            if (this.lineLen === 0) this.complete();
            else this.lineLen = 0;
          } else if (b !== CR) this.lineLen++;
          break;
        }
        default:
          throw new ScrapeError('unexpected data from the server');
      }
    }
    return i;
  }

  private resetChunkSize(): void {
    this.chunkLeft = 0;
    this.chunkSizeDigits = 0;
    this.chunkInExt = false;
  }

  private readChunkSize(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      const b = buf[i++]!;
      if (b === LF) {
        if (this.chunkSizeDigits === 0) throw new ScrapeError('malformed chunked body: empty chunk size');
        if (this.chunkLeft === 0) {
          this.st = St.Trailer;
          this.lineLen = 0;
        } else {
          const limit = this.pool.client.limit;
          if (this.resp.status === 200 && limit > 0 && this.bodyLen + this.chunkLeft > limit) throw this.limitError();
          this.reserve(this.bodyLen + this.chunkLeft);
          this.st = St.ChunkData;
        }
        return i;
      }
      if (this.chunkInExt || b === CR) continue;
      if (b === 0x3b /* ; */ || b === 0x20 || b === 0x09) {
        this.chunkInExt = true;
        continue;
      }
      const d = hexDigit(b);
      if (d < 0) throw new ScrapeError('malformed chunked body: bad chunk size');
      if (++this.chunkSizeDigits > 12) throw new ScrapeError('malformed chunked body: chunk size too large');
      this.chunkLeft = this.chunkLeft * 16 + d;
    }
    return i;
  }

  private limitError(): ScrapeError {
    return new ScrapeError(`body size limit exceeded: more than ${this.pool.client.limit} bytes`);
  }

  /** Copies body bytes into the connection's body buffer (discarded for a non-200 status). */
  private append(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (this.resp.status !== 200) {
      // Counted (to find the end), not kept.
      this.bodyLen += n;
      return;
    }
    const need = this.bodyLen + n;
    const limit = this.pool.client.limit;
    if (limit > 0 && need > limit) throw this.limitError();
    this.reserve(need);
    buf.copy(this.body!, this.bodyLen, start, end);
    this.bodyLen = need;
  }

  private reserve(size: number): void {
    if (this.resp.status !== 200) return;
    const b = this.body;
    if (b !== null && b.length >= size) return;
    const next = this.pool.client.allocateBody(Math.max(size, b === null ? 0 : b.length * 2));
    if (b !== null && this.bodyLen > 0) b.copy(next, 0, 0, this.bodyLen);
    this.body = next;
  }

  /** Accumulates the header block; parses it at the empty line. Returns where the rest of `buf` starts. */
  private readHead(buf: Buffer, i: number, end: number): number {
    const from = this.headLen;
    if (from + (end - i) > this.headBuf.length && this.headBuf.length < MAX_HEAD) {
      const bigger = Buffer.allocUnsafeSlow(Math.min(MAX_HEAD, 2 ** Math.ceil(Math.log2(from + (end - i)))));
      this.headBuf.copy(bigger, 0, 0, from);
      this.headBuf = bigger;
    }
    const take = Math.min(end - i, this.headBuf.length - from);
    buf.copy(this.headBuf, from, i, i + take);
    this.headLen = from + take;
    // The empty line ends in this read's bytes (else an earlier call would have found it).
    const stop = parseResponseHead(this.headBuf, this.headLen, this.resp, Math.max(0, from - 3));
    if (stop < 0) return i + take;
    this.headLen = 0;
    this.startBody();
    // What follows the head in this read is body (or, after a 1xx, the next head).
    return i + (stop - from);
  }

  /** The head is read: how the body is framed, and room for it. */
  private startBody(): void {
    const r = this.resp;
    if (r.status >= 100 && r.status < 200 && r.status !== 101) {
      this.st = St.Head;
      return;
    }
    const limit = this.pool.client.limit;
    this.bodyLen = 0;
    if (r.chunked) {
      this.st = St.ChunkSize;
      this.resetChunkSize();
      this.reserve(FIRST_BODY_BUFFER);
    } else if (r.contentLength >= 0) {
      if (r.status === 200 && limit > 0 && r.contentLength > limit) {
        throw new ScrapeError(`body size limit exceeded: Content-Length ${r.contentLength} > ${limit} bytes`);
      }
      this.st = St.Length;
      this.reserve(r.contentLength);
      if (r.contentLength === 0) this.complete();
    } else {
      this.st = St.UntilClose;
      this.reserve(FIRST_BODY_BUFFER);
    }
  }

  /** The response is complete: hand the body over; the connection is freed after the read (onRead) or closed (onEnd). */
  private complete(): void {
    const req = this.req!;
    this.req = null;
    this.st = St.Idle;
    this.requestsServed++;
    if (!this.resp.keepAlive) this.usable = false;
    const hint = this.resp.keepAliveHintMs;
    const keep = hint > 0 ? Math.min(this.pool.client.keepAliveTimeoutMs, Math.max(0, hint - 1000)) : this.pool.client.keepAliveTimeoutMs;
    this.expiresAt = performance.now() + keep;
    this.responseDone = true;
    if (this.resp.status !== 200) {
      const text = this.resp.statusText ? ` ${this.resp.statusText}` : '';
      req.finish(new ScrapeError(`server returned HTTP status ${this.resp.status}${text}`), null, this.resp.contentType);
    } else {
      req.finish(null, this.body!.subarray(0, this.bodyLen), this.resp.contentType);
    }
  }
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** One line for a connection-level error, Prometheus style ("connect: connection refused"). */
function describe(err: Error): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connect: connection refused';
  if (code === 'ECONNRESET') return 'read: connection reset by peer';
  return `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
}
