import { positiveInt } from '../common/options.js';
import { basename } from 'node:path';
import { readProfileFile, renderTop, topOf } from '../heap/pprof.js';

/** `promsoak profile top <file>`: top allocating functions of a .heapprofile or a pprof .pb.gz. */
export function profileTopCommand(file: string, o: { top?: number; sampleIndex?: string }, log: (line: string) => void): void {
  const top = positiveInt('--top', o.top ?? 20);
  log(renderTop(topOf(readProfileFile(file), o.sampleIndex), top, basename(file)));
}
