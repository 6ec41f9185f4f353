import { basename } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { profileTop, readProfileFile, renderTop } from '../heap/pprof.js';

/** `promsoak profile top <file>`: top allocating functions of a .heapprofile or a pprof .pb.gz. */
export function profileTopCommand(file: string, o: { top?: number; sampleIndex?: string }, log: (line: string) => void): void {
  const top = o.top ?? 20;
  if (!Number.isInteger(top) || top < 1) throw new PromsoakError('PROMSOAK_USAGE', `--top must be a positive integer (got ${top})`);
  log(renderTop(profileTop(readProfileFile(file), o.sampleIndex), top, basename(file)));
}
