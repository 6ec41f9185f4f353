import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PromsoakError } from './errors.js';

/**
 * Makes an output directory, one level at a time, before anything is started: a path under a
 * file, on a filesystem that refuses directories (/proc, /sys) or without permission is one
 * line naming the flag. (Node's recursive mkdir loops forever under /proc.)
 */
export function makeOutDir(path: string, flag = '--out'): string {
  const full = resolve(path);
  const missing: string[] = [];
  let at = full;
  for (;;) {
    const st = statSync(at, { throwIfNoEntry: false });
    if (st) {
      if (!st.isDirectory()) throw new PromsoakError('PROMSOAK_USAGE', `${flag} ${path}: ${at} is a file, not a directory`);
      break;
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw new PromsoakError('PROMSOAK_USAGE', `${flag} ${path}: cannot create ${dir} (${code ?? (e as Error).message})`);
    }
  }
  return full;
}
