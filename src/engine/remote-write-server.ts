import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SnappyError, declaredLength, uncompress } from '../common/snappy-block.js';
import type { RemoteWriteIngester } from './ingest/remote-write.js';
import { RemoteWriteError } from './ingest/rw-error.js';
import { pow2AtLeast } from './ingest/typed-arrays.js';

/** The largest compressed body taken (Content-Length or bytes read); over it: 413. */
export const RW_MAX_BODY = 32 * 1024 * 1024;
/** The largest uncompressed length a body may declare (checked before allocating); over it: 413. */
export const RW_MAX_UNCOMPRESSED = 128 * 1024 * 1024;
/** Bodies being read at once, all connections together; a request that would go over it: 503, Retry-After 1. */
export const RW_MAX_IN_FLIGHT = 4 * RW_MAX_BODY;
export const RW_PATH = '/api/v1/write';
/** A body not read whole this long after its request began: 408 and the connection closed (a slowloris body held its share of RW_MAX_IN_FLIGHT for Node's 300 s). */
export const RW_BODY_TIMEOUT_MS = 30_000;

/** What the receiver answered, cumulative (read by the engine's stats and tests). */
export interface RemoteWriteCounts {
  requests: number;
  /** Answered 204. */
  ok: number;
  /** Answered anything else. */
  rejected: number;
  samples: number;
  seriesAdded: number;
  /** Rejections by HTTP status. */
  byStatus: Record<number, number>;
}

export interface RemoteWriteHooks {
  /** A request stored: its samples and new series (once per request). */
  stored?(samples: number, seriesAdded: number): void;
  rejected?(status: number): void;
}

/**
 * The engine's `POST /api/v1/write` (remote write 1.0: `Content-Encoding: snappy`,
 * `Content-Type: application/x-protobuf`) on 127.0.0.1: the body read (bounded), snappy-decoded
 * into one buffer reused across requests, walked into the head by the RemoteWriteIngester.
 * Answers 204 when stored; 400 with one line (what, byte offset) for a body it refuses, nothing
 * stored; 413 over RW_MAX_BODY compressed or RW_MAX_UNCOMPRESSED declared; 415 for another
 * content type or encoding (remote write 2.0 included); 405 for another method; 404 for
 * another path; 503 when RW_MAX_IN_FLIGHT bytes of bodies are already being read. Each request
 * is decoded and stored in one turn of the event loop, so the buffers are shared.
 */
export class RemoteWriteServer {
  readonly counts: RemoteWriteCounts = { requests: 0, ok: 0, rejected: 0, samples: 0, seriesAdded: 0, byStatus: {} };
  private compressed = new Uint8Array(64 * 1024);
  private plain = new Uint8Array(1024 * 1024);
  private inFlight = 0;
  private server: Server | undefined;

  constructor(
    readonly receiver: RemoteWriteIngester,
    private readonly hooks: RemoteWriteHooks = {},
    private readonly bodyTimeoutMs = RW_BODY_TIMEOUT_MS,
  ) {}

  /** Bytes of the receive buffers (they grow to the largest request and stay). */
  get bufferBytes(): number {
    return this.compressed.byteLength + this.plain.byteLength;
  }

  /** Listens on host:port (0: a free port); resolves with the write URL. */
  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => this.request(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address() as { port: number };
    return `http://${host}:${addr.port}${RW_PATH}`;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * A whole body: decoded and stored, or refused. Returns the status and the line answered
   * (the bench and tests call it without HTTP). body[0, n) is only read during the call.
   */
  store(body: Uint8Array, n: number): { status: number; line: string } {
    let len: number;
    try {
      len = declaredLength(body, n, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      return this.reject(400, (e as Error).message);
    }
    if (len > RW_MAX_UNCOMPRESSED) return this.reject(413, `snappy: declares ${len} bytes uncompressed, over the limit of ${RW_MAX_UNCOMPRESSED}`);
    // No snappy element yields more than 64 bytes from 3 (21.3×): a larger claim is corrupt, and
    // refused before the buffer grows to it (a 10-byte body must not cost 128 MiB).
    if (len > MAX_EXPANSION * n) return this.reject(400, `snappy: declares ${len} bytes uncompressed from ${n} compressed bytes, more than snappy can expand to`);
    if (len > this.plain.length) this.plain = new Uint8Array(Math.min(RW_MAX_UNCOMPRESSED, pow2AtLeast(len)));
    try {
      uncompress(body, n, this.plain);
      const samples = this.receiver.ingest(this.plain, len);
      const added = this.receiver.last.seriesAdded;
      const c = this.counts;
      c.requests++;
      c.ok++;
      c.samples += samples;
      c.seriesAdded += added;
      this.hooks.stored?.(samples, added);
      return OK;
    } catch (e) {
      if (e instanceof RemoteWriteError || e instanceof SnappyError) return this.reject(400, e.message);
      return this.reject(500, `receiver: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private reject(status: number, line: string): { status: number; line: string } {
    const c = this.counts;
    c.requests++;
    c.rejected++;
    c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
    this.hooks.rejected?.(status);
    return { status, line };
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '';
    if (path !== RW_PATH && !path.startsWith(`${RW_PATH}?`)) return this.answer(req, res, this.reject(404, `not found: only POST ${RW_PATH}`), true);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return this.answer(req, res, this.reject(405, `method ${req.method} not allowed: POST only`), true);
    }
    const why = contentProblem(req.headers['content-type'], req.headers['content-encoding']);
    if (why !== undefined) return this.answer(req, res, this.reject(415, why), true);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > RW_MAX_BODY) return this.answer(req, res, this.reject(413, `body of ${declared} bytes over the limit of ${RW_MAX_BODY}`), true);
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    /** The body read whole keeps the connection; a refusal part-way closes it. */
    const finish = (r: { status: number; line: string } | undefined, close: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(slow);
      this.inFlight -= total;
      if (r !== undefined) this.answer(req, res, r, close);
    };
    const slow = setTimeout(() => finish(this.reject(408, `body not read whole within ${this.bodyTimeoutMs} ms (${total} bytes came)`), true), this.bodyTimeoutMs);
    req.on('data', (c: Buffer) => {
      if (done) return;
      if (total + c.length > RW_MAX_BODY) return finish(this.reject(413, `body over the limit of ${RW_MAX_BODY} bytes`), true);
      if (this.inFlight + c.length > RW_MAX_IN_FLIGHT) {
        res.setHeader('Retry-After', '1');
        return finish(this.reject(503, `receiver busy: ${RW_MAX_IN_FLIGHT} bytes of bodies already being read`), true);
      }
      total += c.length;
      this.inFlight += c.length;
      chunks.push(c);
    });
    req.on('error', () => finish(undefined, true));
    req.on('close', () => finish(undefined, true));
    req.on('end', () => {
      if (done) return;
      let body: Uint8Array;
      if (chunks.length === 1) body = chunks[0]!;
      else {
        if (total > this.compressed.length) this.compressed = new Uint8Array(Math.min(RW_MAX_BODY, pow2AtLeast(total)));
        let o = 0;
        for (const c of chunks) {
          this.compressed.set(c, o);
          o += c.length;
        }
        body = this.compressed;
      }
      finish(this.store(body, total), false);
    });
  }

  /** The answer: 204, or the status and its one line; a refusal before the body is read closes the connection. */
  private answer(req: IncomingMessage, res: ServerResponse, r: { status: number; line: string }, close: boolean): void {
    if (r.status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    if (close) {
      res.setHeader('Connection', 'close');
      res.on('finish', () => req.socket.destroySoon?.());
    }
    const text = `${r.line}\n`;
    res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** The most bytes a snappy block expands to per compressed byte, rounded up (a 3-byte copy of 64 bytes). */
const MAX_EXPANSION = 22;

const OK = Object.freeze({ status: 204, line: '' });

/** Why the body's Content-Type or Content-Encoding is not remote write 1.0's, or undefined. */
export function contentProblem(type: string | undefined, encoding: string | undefined): string | undefined {
  if ((encoding ?? '').trim().toLowerCase() !== 'snappy') return `Content-Encoding ${JSON.stringify(encoding ?? '')}: snappy expected`;
  const [media, ...params] = (type ?? '').toLowerCase().split(';').map((s) => s.trim());
  if (media !== 'application/x-protobuf') return `Content-Type ${JSON.stringify(type ?? '')}: application/x-protobuf expected`;
  for (const p of params) {
    if (p.startsWith('proto=') && p !== 'proto=prometheus.writerequest') {
      return `Content-Type ${JSON.stringify(type)}: only remote write 1.0 (proto=prometheus.WriteRequest) is received`;
    }
  }
  return undefined;
}
