import { closeSync, openSync, write } from 'node:fs';
import { Writable } from 'node:stream';

/** What a capped log kept and what it dropped (summary.json's run.target.logs). */
export interface LogCount {
  file: string;
  limitBytes: number;
  bytes: number;
  droppedBytes: number;
}

/**
 * A log file of a launched target (target.stdout.log, target.stderr.log) that keeps the first
 * `limitBytes` of what it is given and counts the rest: a target that writes as fast as it can
 * does not fill the disk. A write that fails (ENOSPC, EIO…) is told once to `onWriteError`
 * and what comes after is counted as dropped: this stream never emits 'error'. Piped into, it
 * holds the target back only while a write to the file is in flight.
 */
export class CappedLog extends Writable {
  bytes = 0;
  droppedBytes = 0;
  private fd: number | null;

  constructor(
    readonly file: string,
    readonly name: string,
    readonly limitBytes: number,
    private readonly onWriteError: (name: string, e: NodeJS.ErrnoException) => void,
  ) {
    super();
    this.fd = openSync(file, 'a');
  }

  count(): LogCount {
    return { file: this.name, limitBytes: this.limitBytes, bytes: this.bytes, droppedBytes: this.droppedBytes };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    const room = this.fd === null ? 0 : Math.max(0, this.limitBytes - this.bytes);
    const keep = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.droppedBytes += chunk.length - keep.length;
    if (keep.length === 0) return done();
    this.writeAll(keep, 0, done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.closeFd();
    done();
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    this.closeFd();
    done(e);
  }

  private writeAll(buf: Buffer, from: number, done: () => void): void {
    write(this.fd!, buf, from, buf.length - from, null, (e, n) => {
      if (e) {
        this.droppedBytes += buf.length - from;
        this.closeFd();
        this.onWriteError(this.name, e);
        return done();
      }
      this.bytes += n;
      if (from + n < buf.length) this.writeAll(buf, from + n, done);
      else done();
    });
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing is all that is left to do with it.
    }
    this.fd = null;
  }
}
