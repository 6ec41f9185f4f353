import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { MAX_HEAD_BYTES, Method, Parsed, RequestHead } from './request-head.js';
import { httpDate } from './http-date.js';

/**
 * What answers a connection's requests (the exporters, and on the fleet's main port its
 * control paths too). `serve` returns true once the response is written (or the connection
 * cut), false when it answers later and calls `conn.done()` then: until that, the
 * connection reads nothing more (one response at a time per connection, whatever it sends).
 */
export interface Service {
  serve(conn: Conn, head: RequestHead, buf: Buffer): boolean;
}

/** Per-connection bounds, and what the server counts when one is crossed. */
export interface ConnLimits {
  /** A response with over STALL_BYTES left unread this long is cut (the client stopped reading). */
  stallMs: number;
  /** A request head not complete this long after its first byte is cut (slowloris). */
  headMs: number;
  /** An idle keep-alive connection is closed after this long. */
  idleMs: number;
}

/** Bytes waiting in a connection's write buffer that may sit there without the client reading. */
export const STALL_BYTES = 64 * 1024;

const ERROR_TYPE = 'text/plain; charset=utf-8';

/**
 * One client connection of the fleet's HTTP/1.1 server: requests are read one at a time
 * (RequestHead parses them in place, no string per scrape), answered in order, and the
 * socket is paused while a response is pending or the client has not taken what was
 * written (backpressure: a client that pipelines without reading costs the fleet one
 * response, the rest of its requests wait in its own kernel buffers).
 */
export class Conn {
  /** Bytes read and not yet parsed: `buf[off, end)` (a chunk as Node gave it, or a copy when a head spans chunks). */
  private buf: Buffer | null = null;
  private off = 0;
  /** A response is being answered asynchronously (Service.serve returned false). */
  busy = false;
  /** The current request asked for a close after its response. */
  closeAfter = false;
  /** The current request is a HEAD: responses leave their body out. */
  headOnly = false;
  /** Since when a partial request head has waited (0: none). */
  partialSinceMs = 0;
  /** The stall sweep's last look: bytes flushed to the kernel, and since when that has not moved with over STALL_BYTES waiting. */
  flushed = 0;
  stuckSinceMs = 0;
  lastActiveMs: number;
  private waitingDrain = false;
  /** Inside Service.serve, and whether it called done() before returning (an answer that ended at once). */
  private serving = false;
  private endedEarly = false;
  /**
   * The connection answers nothing more: a response that closes it was written (Connection:
   * close, a refusal) or a fault cut it. What the client sends after is read and dropped, so
   * nothing is written after the end and its FIN is still seen.
   */
  private ending = false;
  /** The client has ended its side (half-close): what it sent is answered, then the socket ends. */
  private peerEnded = false;

  constructor(
    readonly socket: Socket,
    private readonly head: RequestHead,
    private readonly service: Service,
    private readonly onCut: (why: string) => void,
  ) {
    this.lastActiveMs = Date.now();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    // The server allows half-open sockets: a client that ends its side after its request
    // (HTTP/1.0 tools, nc) is still answered, also when the answer comes later (slow, /metrics).
    socket.on('end', () => {
      this.peerEnded = true;
      if (!this.busy && !this.ending) this.drive();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.lastActiveMs = Date.now();
    if (this.buf === null || this.off >= this.buf.length) {
      this.buf = chunk;
      this.off = 0;
    } else {
      // A head split over chunks (rare): keep what is left of the old one with the new.
      this.buf = Buffer.concat([this.buf.subarray(this.off), chunk]);
      this.off = 0;
    }
    this.drive();
  }

  /** Answers the requests read so far, in order, until one is answered later or the client must read first. */
  private drive(): void {
    const s = this.socket;
    while (!this.busy && !s.destroyed) {
      if (s.writableNeedDrain) return this.waitForDrain();
      const buf = this.buf;
      if (buf === null || this.off >= buf.length) {
        this.buf = null;
        this.partialSinceMs = 0;
        if (this.peerEnded) s.end();
        else if (s.isPaused()) s.resume();
        return;
      }
      const head = this.head;
      const r = head.parse(buf, this.off, buf.length);
      if (r === Parsed.Incomplete && this.peerEnded) {
        // A head the client will never finish.
        this.buf = null;
        s.end();
        return;
      }
      if (r === Parsed.Incomplete) {
        if (this.partialSinceMs === 0) this.partialSinceMs = Date.now();
        if (s.isPaused()) s.resume();
        return;
      }
      this.partialSinceMs = 0;
      if (r === Parsed.Bad) {
        this.endAfter();
        this.headOnly = false;
        this.respond(head.status, ERROR_TYPE, `${head.status} ${STATUS_CODES[head.status] ?? ''}: ${head.reason}\n`, head.status === 405 ? 'Allow: GET, HEAD\r\n' : '');
        return;
      }
      this.off = head.headEnd;
      this.closeAfter = head.close;
      this.headOnly = head.method === Method.Head;
      this.serving = true;
      this.endedEarly = false;
      const answered = this.service.serve(this, head, buf);
      this.serving = false;
      if (!answered && !this.endedEarly) {
        // Paused until done(), even when it is the last answer: what the client sends
        // meanwhile (more requests, its FIN) is read once this one is out.
        this.busy = true;
        s.pause();
        if (this.closeAfter) this.ending = true;
        return;
      }
      // Asked to close: whatever it sent after is not answered.
      if (this.closeAfter || this.ending) return this.endAfter();
    }
  }

  /**
   * This response is the connection's last: nothing after it is read as a request. Reading
   * goes on (what arrives is dropped) so the client's FIN closes the socket.
   */
  endAfter(): void {
    this.closeAfter = true;
    this.ending = true;
    this.buf = null;
    this.partialSinceMs = 0;
    if (!this.busy && this.socket.isPaused()) this.socket.resume();
  }

  private waitForDrain(): void {
    if (this.ending) return;
    this.socket.pause();
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    this.socket.once('drain', () => {
      this.waitingDrain = false;
      this.drive();
    });
  }

  /** An asynchronous response has ended: go on with the next request. */
  done(): void {
    if (this.serving) {
      this.endedEarly = true;
      return;
    }
    if (!this.busy) return;
    this.busy = false;
    if (this.ending) return this.endAfter();
    this.drive();
  }

  /**
   * Writes a response whose head and body are already bytes (an exporter's: one buffer, one
   * write); `cb` once the socket has taken it (err when it was cut). Ends the connection
   * after it when the request asked for a close.
   */
  write(bytes: Uint8Array, cb?: (err?: Error | null) => void): void {
    const s = this.socket;
    if (this.closeAfter) s.end(bytes, cb as () => void);
    else s.write(bytes, cb);
  }

  /** A small response made of strings (control paths, errors, injected 5xx): not the hot path. */
  respond(status: number, contentType: string, body: string | Buffer, extraHeaders = ''): void {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    const head = Buffer.from(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${b.length}\r\nDate: ${httpDate()}\r\n` +
        extraHeaders +
        (this.closeAfter ? 'Connection: close\r\n\r\n' : 'Connection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n'),
      'latin1',
    );
    const s = this.socket;
    if (this.headOnly) return this.write(head);
    s.cork();
    s.write(head);
    this.write(b);
    s.uncork();
  }

  /** Cuts the connection for a bound it crossed (counted by the server). */
  cut(why: string): void {
    if (this.socket.destroyed) return;
    this.onCut(why);
    this.socket.destroy();
  }

  /** The sweep's checks, once a second: a stalled reader, a head that never ends, an idle keep-alive. */
  check(now: number, limits: ConnLimits): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (this.partialSinceMs > 0 && now - this.partialSinceMs >= limits.headMs) return this.cut('request head not complete in time');
    const flushed = s.bytesWritten - s.writableLength;
    if (s.writableLength <= STALL_BYTES || flushed !== this.flushed) {
      this.flushed = flushed;
      this.stuckSinceMs = 0;
    } else {
      if (this.stuckSinceMs === 0) this.stuckSinceMs = now;
      if (now - this.stuckSinceMs >= limits.stallMs) return this.cut('response left unread');
    }
    if (!this.busy && this.buf === null && s.writableLength === 0 && now - this.lastActiveMs >= limits.idleMs) s.destroy();
  }
}

export { MAX_HEAD_BYTES };
