import { closeSync, constants, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PromsoakError } from '../common/errors.js';
import { diskFaultError, isDiskError } from './disk-fault.js';

/**
 * Writes a file of an output directory (report.html, summary.json) as a regular file that this
 * call created: a path that is there as anything else (a symlink, a directory, a FIFO) is one
 * error line and stays untouched (a crafted run directory must not make `report` overwrite
 * what a symlink points at). The text goes into a new temporary file beside it (O_EXCL |
 * O_NOFOLLOW: never one that was there) that is then renamed over the path, so a reader sees
 * the old file or the new one, never half of one; a disk that refuses it is PROMSOAK_DISK_FULL (disk-fault.ts).
 */
export function writeOwnFile(path: string, text: string): void {
  checkOwnFile(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    if (isDiskError(e)) throw diskFaultError(path, e);
    throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: cannot write beside it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    try {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    } finally {
      closeSync(fd); // a write the disk refused must not leak the descriptor
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    // A disk fault (ENOSPC, EDQUOT, EIO) is one line, PROMSOAK_DISK_FULL, and the file as it was.
    if (isDiskError(e)) throw diskFaultError(path, e);
    throw e;
  }
}

/** Throws unless `path` is absent or a regular file (lstat: a symlink is not followed), so that writeOwnFile may replace it. */
export function checkOwnFile(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile()) {
    const what = st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'not a regular file';
    throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: ${what}; promsoak writes only regular files it creates there, so it left it untouched`);
  }
}
