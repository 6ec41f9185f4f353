import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { fileError, PromsoakError, type ErrorCode } from './errors.js';

/**
 * Reading a file named from outside (a profile's replayed capture, a profile to `profile top`,
 * an exposition to `parse`) within a size bound, so that /dev/zero, a FIFO or a file that
 * keeps growing is one line (exit 2) at once, not gigabytes read or a read that never returns.
 *
 * The file is opened first and its type and size taken from the open descriptor (fstat), so
 * nothing can swap the path between a check and the read. O_NONBLOCK: a FIFO opens at once
 * even with no writer (and is then refused as not a regular file); on a regular file it
 * changes nothing. The read stops one byte past the bound, whatever fstat said.
 */
export interface FileLimit {
  /** The most bytes read. */
  maxBytes: number;
  /** What the file is, for the message: "a replay file", "an allocation profile". */
  what: string;
  /** The code of a refusal (default PROMSOAK_INPUT_INVALID: exit 2). */
  code?: ErrorCode;
}

/** The size of a regular file within the bound, from its open descriptor; anything else throws one line naming the file. */
export function regularFileSize(path: string, limit: FileLimit): number {
  const fd = openChecked(path, limit);
  closeSync(fd.fd);
  return fd.size;
}

/** The whole of a regular file, at most `limit.maxBytes` bytes (a file that grows past them while read is refused too). */
export function readRegularFile(path: string, limit: FileLimit): Buffer {
  const { fd, size } = openChecked(path, limit);
  try {
    // Room for what fstat said plus a byte (a file that grew shows itself by filling it); at
    // least 64 KiB: a /proc file says 0.
    let buf = Buffer.allocUnsafe(Math.min(Math.max(size, 65_536), limit.maxBytes) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > limit.maxBytes) throw refuse(path, limit, `grew past ${describeBytes(limit.maxBytes)} while read, the limit for ${limit.what}`);
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, limit.maxBytes + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > limit.maxBytes) throw refuse(path, limit, `grew past ${describeBytes(limit.maxBytes)} while read, the limit for ${limit.what}`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof PromsoakError) throw e;
    throw fileError(path, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * An open descriptor of a regular file, for a reader that streams it (a heap snapshot: any
 * size); the caller closes it. A FIFO, a device or a directory throws, as above.
 */
export function openRegularFile(path: string, what: string): number {
  return openChecked(path, { maxBytes: Number.POSITIVE_INFINITY, what }).fd;
}

function openChecked(path: string, limit: FileLimit): { fd: number; size: number } {
  let fd: number;
  let st: Stats;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw fileError(path, e);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw refuse(path, limit, `${limit.what} must be a regular file; it is ${kindOf(st)}, not a file`);
  }
  if (st.size > limit.maxBytes) {
    closeSync(fd);
    throw refuse(path, limit, `${describeBytes(st.size)}, over the limit of ${describeBytes(limit.maxBytes)} for ${limit.what}`);
  }
  return { fd, size: st.size };
}

function refuse(path: string, limit: FileLimit, why: string): PromsoakError {
  return new PromsoakError(limit.code ?? 'PROMSOAK_INPUT_INVALID', `${path}: ${why}`);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** 67108864 → "64 MiB (67108864 bytes)"; small sizes in bytes. */
export function describeBytes(n: number): string {
  if (n < 2 ** 20) return `${n} bytes`;
  const mib = n / 2 ** 20;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB (${n} bytes)`;
}
