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
 * (from submission, queueing included: Deadlines), and whether it was retried on a fresh
 * connection already.
 */
export class Request {
  conn: RequestConnection | null = null;
  done = false;
  retried = false;
  /** performance.now() ms when it times out; its place in its Deadlines list. */
  deadline = 0;
  prev: Request | null = null;
  next: Request | null = null;

  constructor(
    readonly pool: RequestQueue,
    readonly path: string,
    /** ` HTTP/1.1` and the headers, through the blank line. */
    readonly tail: Buffer,
    private readonly deadlines: Deadlines,
    private readonly cb: ScrapeCallback,
    private readonly tag: number,
  ) {
    deadlines.add(this);
  }

  get timeoutMs(): number {
    return this.deadlines.timeoutMs;
  }

  finish(err: Error | null, body: Uint8Array | null, contentType: string): void {
    if (this.done) return;
    this.done = true;
    this.deadlines.remove(this);
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

/**
 * The requests in flight with one timeout, in the order they were made, which is the order of
 * their deadlines: a list linked through the requests, and one timer, armed for the first. A
 * request leaves the list when it finishes (O(1)); when the timer fires, the requests past
 * their deadline time out and the timer is armed for the next one.
 *
 * Why not a setTimeout per request: a Timeout a scrape, 2000 a second at 2M series, which V8
 * then promoted to the old generation (docs/heap.md): the heap grew between mark-compacts.
 * This one allocates a Timeout per timeout period at most. It is unref'd: a request in flight
 * keeps the process alive through its socket.
 */
export class Deadlines {
  private head: Request | null = null;
  private last: Request | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {}

  add(req: Request): void {
    req.deadline = performance.now() + this.timeoutMs;
    req.prev = this.last;
    req.next = null;
    if (this.last !== null) this.last.next = req;
    else this.head = req;
    this.last = req;
    if (this.timer === undefined) this.arm();
  }

  remove(req: Request): void {
    if (req.prev !== null) req.prev.next = req.next;
    else if (this.head === req) this.head = req.next;
    else return; // not in the list
    if (req.next !== null) req.next.prev = req.prev;
    else this.last = req.prev;
    req.prev = null;
    req.next = null;
  }

  /** No timer left armed (the client closed; its requests have finished). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.head === null) return;
    this.timer = setTimeout(this.onTimer, Math.max(1, this.head.deadline - performance.now())).unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = performance.now();
    for (let r = this.head; r !== null && r.deadline <= now; r = this.head) {
      this.remove(r);
      onRequestTimeout(r);
    }
    this.arm();
  };
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
