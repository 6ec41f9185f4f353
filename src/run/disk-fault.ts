import { PromsoakError } from '../common/errors.js';

/**
 * A write to the run directory that the disk refused: no space left (ENOSPC), over a quota
 * (EDQUOT), or an I/O error (EIO). The soak stops on the first one, with one line naming the
 * file, and keeps what it measured; it is never an 'error' event nobody listens to.
 */
export interface DiskFault {
  /** The file in the run directory, by its name. */
  file: string;
  code: string;
  /** Wall clock of the failed write. */
  atMs: number;
}

const DISK_CODES: Record<string, string> = { ENOSPC: 'disk full', EDQUOT: 'disk quota exceeded', EIO: 'I/O error' };

export function isDiskError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(DISK_CODES, code);
}

/** "disk full writing frames.ndjson" */
export function diskFaultText(f: Pick<DiskFault, 'file' | 'code'>): string {
  return `${DISK_CODES[f.code] ?? f.code} writing ${f.file}`;
}

/** A write before or after the soak's window (profile.json, run.json, summary.json) the disk refused: one line, exit 1. */
export function diskFaultError(path: string, e: NodeJS.ErrnoException): PromsoakError {
  return new PromsoakError('PROMSOAK_DISK_FULL', `${diskFaultText({ file: path, code: e.code! })}`);
}
