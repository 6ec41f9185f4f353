import type { Socket } from 'node:net';

/**
 * One response at a time per connection. Node parses every pipelined request on a socket at
 * once and its responses wait in order; a client that pipelines without reading would make
 * the fleet render (and hold) a body for each. Here a connection's next request is rendered
 * only once the previous response has been written and the socket has drained (the client is
 * reading), so a connection holds at most one body, and a client cannot take more than one
 * render thread from the others. A client that piles up more unanswered requests than
 * MAX_PENDING is cut off: no scraper pipelines that deep.
 */
export const MAX_PENDING = 1024;

interface Queue {
  busy: boolean;
  pending: (() => void)[];
}

export class ConnectionQueues {
  private readonly queues = new WeakMap<Socket, Queue>();
  /** Connections cut off for piling up requests. */
  cutOff = 0;

  /** Runs `start` now, or once the connection's earlier responses are out. `start` must call `done` when its response has ended. */
  run(socket: Socket, start: (done: () => void) => void): void {
    let q = this.queues.get(socket);
    if (!q) this.queues.set(socket, (q = { busy: false, pending: [] }));
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
    if (queue.pending.length >= MAX_PENDING) {
      this.cutOff++;
      queue.pending.length = 0;
      socket.destroy();
      return;
    }
    queue.pending.push(begin);
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
    // next body is not rendered until it has gone.
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
