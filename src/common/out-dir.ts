import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PromsoakError } from './errors.js';
import { insideRoot } from './safe-path.js';

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

/** How many names `makeUniqueDir` tries (`<base>`, `<base>-2` … `<base>-1000`) before it gives up. */
export const UNIQUE_DIR_TRIES = 1000;

/**
 * Creates a new directory `<root>/<base>` (root made first, as `makeOutDir` does), or
 * `<base>-2`, `<base>-3` … when that exists: each try is one mkdir, which fails if the name is
 * taken, so processes started in the same second never share a directory (no check-then-create).
 * After `UNIQUE_DIR_TRIES` names, or any other failure, one line naming the flag.
 */
export function makeUniqueDir(root: string, base: string, flag = '--out'): string {
  const full = makeOutDir(root, flag);
  for (let i = 1; i <= UNIQUE_DIR_TRIES; i++) {
    const path = insideRoot(full, i === 1 ? base : `${base}-${i}`);
    try {
      mkdirSync(path);
      return path;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new PromsoakError('PROMSOAK_USAGE', `${flag} ${root}: cannot create ${path} (${code ?? (e as Error).message})`);
    }
  }
  throw new PromsoakError('PROMSOAK_USAGE', `${flag} ${root}: ${base} and ${UNIQUE_DIR_TRIES - 1} numbered names after it exist already; pick another --out`);
}
