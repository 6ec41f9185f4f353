import { isAbsolute, relative, resolve } from 'node:path';
import { PromsoakError } from './errors.js';

/**
 * `name` joined under `root`, checked to resolve strictly inside it (not the root itself, not
 * beside it, not above it): a directory named after a profile, a compare or a target is never
 * written elsewhere, whatever the name holds. Names are checked where they come in (the
 * profile schema); this is the last guard where a path is made of one.
 */
export function insideRoot(root: string, name: string): string {
  const base = resolve(root);
  const path = resolve(base, name);
  const rel = relative(base, path);
  if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
    throw new PromsoakError('PROMSOAK_USAGE', `the name ${JSON.stringify(name)} would put a directory outside ${base}`);
  }
  return path;
}
