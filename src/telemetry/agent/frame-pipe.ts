import { writeSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * The agent's frames to the coordinator as JSON lines on a pipe of their own (the fd in
 * PROMSOAK_TELEMETRY_FD), written with one write(2) each.
 *
 * Why not process.send: Node's IPC costs 160–350 µs of the engine's main thread per frame
 * (its stream machinery and callbacks), a write(2) of the same 2 KB line 45 µs. The agent runs
 * inside the engine it measures, once a second, so that difference is most of its cost.
 *
 * The write never blocks: wrapping the fd in a net.Socket makes it non-blocking (libuv), so a
 * coordinator that stops reading fills the pipe, write(2) answers EAGAIN and the rest of the line
 * waits in the socket's queue, sent when the pipe drains; later lines queue behind it so that
 * none overtakes another. A coordinator that has gone (EPIPE) ends the writing, silently.
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

  /** The pipe's fd from the environment, or undefined (no pipe: the caller uses IPC). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): FramePipe | undefined {
    const fd = Number(env.PROMSOAK_TELEMETRY_FD);
    if (!Number.isInteger(fd) || fd < 3) return undefined;
    try {
      return new FramePipe(fd);
    } catch {
      return undefined; // not open in this process
    }
  }

  send(message: unknown): void {
    if (this.closed) return;
    const line = JSON.stringify(message) + '\n';
    let written = 0;
    if (this.socket.writableLength === 0) {
      try {
        written = writeSync(this.fd, line);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.closed = true;
          return;
        }
      }
    }
    // The string's bytes only when write(2) took part of it (it counts bytes, not characters).
    if (written === 0) this.socket.write(line);
    else if (written < Buffer.byteLength(line)) this.socket.write(Buffer.from(line).subarray(written));
  }
}
