import { writevSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * The agent's records to the coordinator (protocol/frame-wire.ts) on a pipe of their own (the fd
 * in PROMSOAK_TELEMETRY_FD), each written with one writev(2) of its parts as they lie in memory.
 *
 * Why not process.send: Node's IPC costs 160–350 µs of the engine's main thread per frame
 * (JSON, its stream machinery and callbacks), a write(2) 45 µs. The agent runs inside the engine
 * it measures, once a second, so that difference is most of its cost.
 *
 * The write never blocks: wrapping the fd in a net.Socket makes it non-blocking (libuv), so a
 * coordinator that stops reading fills the pipe, writev(2) answers EAGAIN and the rest of the
 * record (copied: the parts are reused) waits in the socket's queue, sent when the pipe drains;
 * later records queue behind it so that none overtakes another. A coordinator that has gone
 * (EPIPE) ends the writing, silently.
 */
export class FramePipe {
  private readonly socket: Socket;
  private closed = false;

  constructor(private readonly fd: number) {
    this.socket = new Socket({ fd, readable: false, writable: true });
    this.socket.on('error', () => {
      this.closed = true;
    });
    this.socket.unref();
  }

  /** The pipe's fd from the environment, or undefined (no pipe: the agent sends no frames). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): FramePipe | undefined {
    const fd = Number(env.PROMSOAK_TELEMETRY_FD);
    if (!Number.isInteger(fd) || fd < 3) return undefined;
    try {
      return new FramePipe(fd);
    } catch {
      return undefined; // not open in this process
    }
  }

  /** One record, in parts. */
  send(parts: Uint8Array[]): void {
    if (this.closed) return;
    let bytes = 0;
    for (const p of parts) bytes += p.byteLength;
    let written = 0;
    if (this.socket.writableLength === 0) {
      try {
        written = writevSync(this.fd, parts);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.closed = true;
          return;
        }
      }
    }
    if (written < bytes) this.socket.write(Buffer.concat(parts).subarray(written));
  }
}
