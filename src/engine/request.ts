import { ScrapeError } from '../common/errors.js';

/**
 * Called once per scrape. `body` is a view of a connection's REUSED buffer: valid only during
 * the call. On error body is null. `tag` is the number the scrape was asked with: one callback
 * can serve many targets (the scheduler's), with no closure per target.
 */
export type ScrapeCallback = (err: Error | null, body: Uint8Array | null, contentType: string, tag: number) => void;

/** What a request needs of the pool it waits in (client.ts's Pool). */
export interface RequestQueue {
  dequeue(req: Request): void;
}

/** What a request needs of the connection it runs on (connection.ts's Connection). */
export interface RequestConnection {
  destroy(err: Error | null): void;
}

/**
 * One scrape in flight: what its request says (the path, and the bytes after it, one Buffer
 * per pool: the connection writes `GET <path><tail>`), its callback (called once), its timeout
 * (from submission, queueing included), and whether it was retried on a fresh connection already.
 */
export class Request {
  conn: RequestConnection | null = null;
  done = false;
  retried = false;
  readonly timer: NodeJS.Timeout;

  constructor(
    readonly pool: RequestQueue,
    readonly path: string,
    /** ` HTTP/1.1` and the headers, through the blank line. */
    readonly tail: Buffer,
    readonly timeoutMs: number,
    private readonly cb: ScrapeCallback,
    private readonly tag: number,
  ) {
    this.timer = setTimeout(onRequestTimeout, timeoutMs, this);
  }

  finish(err: Error | null, body: Uint8Array | null, contentType: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    try {
      this.cb(err, body, contentType, this.tag);
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
