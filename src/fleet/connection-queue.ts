import type { Socket } from 'node:net';

/**
 * One response at a time per connection, on every path (exporters, /sd, /stats, /profile,
 * /metrics, 404s). Node parses every pipelined request on a socket at once and its responses
 * wait in order; a client that pipelines without reading would make the fleet render (and
 * hold) a body for each. Here a connection's next request is answered only once the previous
 * response has been written and the socket has drained (the client is reading), so a
 * connection holds at most one body, and a client cannot take more than one render thread
 * from the others. Two bounds cut a connection off (counted in `cutOff`, /stats
 * totals.connectionsCut):
 * - more than MAX_PENDING unanswered requests piled up on it (no scraper pipelines that deep);
 * - more than STALL_BYTES of a response waiting in its write buffer with nothing of it taken
 *   by the client for `stallMs` (it stopped reading: the body would be held for ever).
 */
export const MAX_PENDING = 1024;
/** Bytes waiting in a connection's write buffer that may sit there without the client reading. */
export const STALL_BYTES = 64 * 1024;
/** How long a connection may leave over STALL_BYTES unread before it is cut (default). */
export const STALL_MS = 30_000;

interface Queue {
  busy: boolean;
  pending: (() => void)[];
  /** Bytes flushed to the kernel at the last sweep, and since when that figure has not moved with over STALL_BYTES waiting. */
  flushed: number;
  stuckSinceMs: number | null;
}

export class ConnectionQueues {
  private readonly queues = new Map<Socket, Queue>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Connections cut off: for piling up requests, or for not reading what they asked for. */
  cutOff = 0;

  constructor(
    private readonly stallMs = STALL_MS,
    private readonly onCut?: () => void,
  ) {}

  /** Runs `start` now, or once the connection's earlier responses are out. `start` must call `done` when its response has ended. */
  run(socket: Socket, start: (done: () => void) => void): void {
    // A connection already cut off: the parser may still hand over the rest of its chunk.
    if (socket.destroyed) return;
    let q = this.queues.get(socket);
    if (!q) q = this.watch(socket);
    const queue = q;
    const begin = (): void => {
      // Once per response, however many paths end it (sent, closed, cut off).
      let ended = false;
      start(() => {
        if (ended) return;
        ended = true;
        this.next(socket, queue);
      });
    };
    if (!queue.busy) {
      queue.busy = true;
      begin();
      return;
    }
    if (queue.pending.length >= MAX_PENDING) return this.cut(socket, queue);
    queue.pending.push(begin);
  }

  /** Stops the sweep (the fleet is closing). */
  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private watch(socket: Socket): Queue {
    const q: Queue = { busy: false, pending: [], flushed: 0, stuckSinceMs: null };
    this.queues.set(socket, q);
    socket.once('close', () => {
      q.pending.length = 0;
      this.queues.delete(socket);
    });
    this.sweeper ??= setInterval(() => this.sweep(Date.now()), Math.min(1000, this.stallMs / 2)).unref();
    return q;
  }

  private cut(socket: Socket, q: Queue): void {
    this.cutOff++;
    this.onCut?.();
    q.pending.length = 0;
    socket.destroy();
  }

  /** Cuts the connections that have left over STALL_BYTES unread for stallMs. */
  sweep(now: number): void {
    for (const [socket, q] of this.queues) {
      const flushed = socket.bytesWritten - socket.writableLength;
      if (socket.writableLength <= STALL_BYTES || flushed !== q.flushed) {
        q.flushed = flushed;
        q.stuckSinceMs = null;
        continue;
      }
      q.stuckSinceMs ??= now;
      if (now - q.stuckSinceMs >= this.stallMs) this.cut(socket, q);
    }
  }

  private next(socket: Socket, q: Queue): void {
    const go = (): void => {
      const n = q.pending.shift();
      if (n === undefined || socket.destroyed) {
        q.busy = false;
        q.pending.length = 0;
        return;
      }
      n();
    };
    // Backpressure: what the client has not read yet stays in the socket's buffer, and the
    // next response is not started until it has gone.
    if (socket.writableNeedDrain) {
      const onDrain = (): void => {
        socket.off('close', onClose);
        go();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        q.busy = false;
        q.pending.length = 0;
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    } else go();
  }
}
