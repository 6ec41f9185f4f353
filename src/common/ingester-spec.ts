import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { PromsoakError } from './errors.js';

/** The ingesters the engine has built in; anything else is `module:<path or package>`. */
export const BUILTIN_INGESTERS = ['cached', 'naive'] as const;

/**
 * Checks an `--ingester` value without loading it, so a soak or a compare refuses a bad one
 * before anything starts: a built-in name, or `module:` with a path that exists (a bare
 * package name is left to the import). Returns the module's resolved path, or undefined.
 */
export function checkIngesterSpec(spec: string, cwd = process.cwd()): string | undefined {
  if ((BUILTIN_INGESTERS as readonly string[]).includes(spec)) return undefined;
  if (!spec.startsWith('module:')) {
    throw new PromsoakError('PROMSOAK_USAGE', `--ingester must be one of ${BUILTIN_INGESTERS.join(', ')} or module:<path> (got "${spec}")`);
  }
  const ref = spec.slice('module:'.length);
  if (ref === '') throw new PromsoakError('PROMSOAK_USAGE', '--ingester module: needs a path, e.g. module:./my-ingester.js');
  const isPath = ref.startsWith('.') || ref.startsWith('/') || isAbsolute(ref) || /\.[cm]?js$/.test(ref);
  if (!isPath) return undefined;
  const path = isAbsolute(ref) ? ref : resolve(cwd, ref);
  if (!existsSync(path)) throw new PromsoakError('PROMSOAK_INGESTER', `ingester module ${ref} not found (resolved to ${path})`);
  return path;
}
