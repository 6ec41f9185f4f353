import { connect, type Socket } from 'node:net';

/**
 * One scrape target's keep-alive HTTP/1.1 connection, as a scraper holds it: one request at a
 * time, the response read to its end by Content-Length (the body's bytes are counted, never
 * copied or decoded), and the connection kept for the next scrape. A request still unanswered
 * when the next one is due has timed out (the bench scrapes with timeout = interval, as
 * Prometheus is configured): the connection is closed and a new one opened, as Prometheus does.
 */

/** The Accept header Prometheus 2.42 sends (scrape/scrape.go, acceptHeader). */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** A response head larger than this is not an exporter's: the connection is dropped. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export interface ConnEvents {
  /** A whole response: its HTTP status, body bytes and µs from the request's write to its last byte. */
  done(status: number, bodyBytes: number, micros: number): void;
  /** The scrape in flight failed (connection refused or reset, a bad response, a timeout). */
  failed(why: string): void;
}

export class ScrapeConn {
  private socket: Socket | null = null;
  private readonly request: Buffer;
  private inFlight = false;
  private sentAt = 0;
  private head: Buffer | null = null;
  private status = 0;
  private bodyBytes = 0;
  private remaining = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    path: string,
    timeoutSeconds: number,
    private readonly on: ConnEvents,
  ) {
    const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.request = Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: ${PROMETHEUS_ACCEPT}\r\n` +
        `Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: ${timeoutSeconds}\r\n\r\n`,
      'latin1',
    );
  }

  /** Sends the next scrape; one still in flight is failed as a timeout first (and its connection closed). */
  scrape(): void {
    if (this.inFlight) this.fail('timeout');
    if (this.socket === null) this.open();
    this.inFlight = true;
    this.head = null;
    this.remaining = -1;
    this.sentAt = performance.now();
    this.socket!.write(this.request);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.inFlight = false;
  }

  private open(): void {
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    s.on('data', (chunk: Buffer) => this.read(chunk));
    s.on('error', (e: NodeJS.ErrnoException) => this.lost(s, e.code ?? e.message));
    s.on('close', () => this.lost(s, 'connection closed'));
    this.socket = s;
  }

  private lost(s: Socket, why: string): void {
    if (this.socket !== s) return;
    this.socket = null;
    if (this.inFlight) {
      this.inFlight = false;
      this.on.failed(why);
    }
  }

  private fail(why: string): void {
    const wasInFlight = this.inFlight;
    this.close();
    if (wasInFlight) this.on.failed(why);
  }

  private read(chunk: Buffer): void {
    if (!this.inFlight) return this.fail('bytes with no request in flight');
    let at = 0;
    if (this.remaining < 0) {
      const head = this.head === null ? chunk : Buffer.concat([this.head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) return this.fail('response head over 16 KiB');
        this.head = head;
        return;
      }
      const text = head.toString('latin1', 0, end);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text);
      if (!status || !length) return this.fail(status ? 'no Content-Length' : 'not an HTTP/1.1 response');
      this.status = Number(status[1]);
      this.remaining = Number(length[1]);
      this.bodyBytes = this.remaining;
      this.head = null;
      // The body's first bytes, in this chunk after the head (the head may have begun in an earlier one).
      chunk = head;
      at = end + HEAD_END.length;
    }
    const take = Math.min(this.remaining, chunk.length - at);
    this.remaining -= take;
    if (at + take < chunk.length) return this.fail('bytes past the Content-Length');
    if (this.remaining === 0) {
      this.inFlight = false;
      this.remaining = -1;
      this.on.done(this.status, this.bodyBytes, Math.max(1, Math.round((performance.now() - this.sentAt) * 1000)));
    }
  }
}
