import { connect, type Socket } from 'node:net';
import { ScrapeError } from '../common/errors.js';
import type { Request, RequestConnection } from './request.js';
import { ResponseReader, St, type BodyBuffers } from './response-reader.js';

/** Bytes of one socket read (Node reads into this per-connection buffer: `onread`). */
const READ_BUFFER = 65_536;

/** What a connection needs of its pool (client.ts's Pool; this file does not import it). */
export interface ConnectionPool {
  readonly host: string;
  readonly port: number;
  readonly client: BodyBuffers & { readonly keepAliveTimeoutMs: number };
  /** The connection finished a response and may take the next request. */
  release(c: Connection): void;
  /** The connection is gone. */
  gone(c: Connection): void;
  /** Run `req` again on a fresh connection. */
  retry(req: Request): void;
}

/**
 * One keep-alive HTTP/1.1 connection of the engine's client, one request at a time.
 *
 * The socket is opened with `onread: { buffer, callback }`: Node reads straight into `readBuf`,
 * which the connection owns, so a socket read allocates no ArrayBuffer; the response is read
 * from it by ResponseReader (response-reader.ts) into buffers the connection also keeps.
 * Here: the socket's life, the request in flight and its end (the body to the callback, or an
 * error as Prometheus words it), keep-alive (Connection, the server's Keep-Alive hint), and the
 * retry of a request that a reused connection lost before the server said anything.
 */
export class Connection extends ResponseReader implements RequestConnection {
  readonly socket: Socket;
  /** False once the connection must not take another request. */
  usable = true;
  expiresAt = Infinity;
  private readonly readBuf = Buffer.allocUnsafeSlow(READ_BUFFER);
  /**
   * The request written, and a view of its used part, kept while the length repeats. Reused:
   * the next request starts after the response to this one, so the socket has sent it.
   */
  private out = Buffer.allocUnsafeSlow(512);
  private outView = this.out.subarray(0, 0);
  private req: Request | null = null;
  /** Bytes of the response received so far (0: the server has said nothing: a retry is safe). */
  private received = 0;
  private requestsServed = 0;
  private dead = false;
  private closedPromise: Promise<void>;
  /** complete() ran during this read: release the connection once the read is consumed. */
  private responseDone = false;

  constructor(private readonly pool: ConnectionPool) {
    super(pool.client);
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
    this.socket.write(this.request(req));
  }

  /** `GET <path><tail>` in `out`, latin1 as Go's net/http writes a path it was given (allocates only when the length changes). */
  private request(req: Request): Buffer {
    const len = 4 + req.path.length + req.tail.length;
    if (len > this.out.length) this.out = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(len)));
    const out = this.out;
    out.write('GET ', 0, 'latin1');
    out.write(req.path, 4, 'latin1');
    out.set(req.tail, 4 + req.path.length);
    if (this.outView.buffer !== out.buffer || this.outView.length !== len) this.outView = out.subarray(0, len);
    return this.outView;
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

  /** The response is complete: hand the body over; the connection is freed after the read (onRead) or closed (onEnd). */
  protected complete(): void {
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

/** One line for a connection-level error, Prometheus style ("connect: connection refused"). */
function describe(err: Error): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connect: connection refused';
  if (code === 'ECONNRESET') return 'read: connection reset by peer';
  return `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
}
