import { pathToFileURL } from 'node:url';
import { DEFAULTS } from '../../common/defaults.js';
import { PromsoakError } from '../../common/errors.js';
import { checkIngesterSpec } from '../../common/ingester-spec.js';
import type { Ingester, IngesterFactory, IngesterOptions } from './ingester.js';
import createCachedIngester from './cached.js';
import createNaiveIngester from './naive.js';

export const DEFAULT_INGESTER_OPTIONS: IngesterOptions = { headWindow: DEFAULTS.headWindow, sampleLimit: 0 };

/**
 * `cached`, `naive` or `module:<path>` → an Ingester. A module path is resolved against `cwd`
 * (default: the process's); its default export must be a factory `(options) => Ingester`
 * (a named export `createIngester` is accepted too).
 */
export async function loadIngester(spec: string, options: Partial<IngesterOptions> = {}, cwd = process.cwd()): Promise<Ingester> {
  const opts: IngesterOptions = { ...DEFAULT_INGESTER_OPTIONS, ...options };
  if (spec === 'cached') return createCachedIngester(opts);
  if (spec === 'naive') return createNaiveIngester(opts);
  const path = checkIngesterSpec(spec, cwd);
  const ref = spec.slice('module:'.length);
  const factory = await importFactory(ref, path);
  let ingester: Ingester;
  try {
    ingester = await factory(opts);
  } catch (e) {
    throw new PromsoakError('PROMSOAK_INGESTER_FAILED', `ingester module ${ref}: its factory threw: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!ingester || typeof ingester.ingest !== 'function') {
    throw new PromsoakError('PROMSOAK_INGESTER', `ingester module ${ref}: the factory returned no object with an ingest(body, target, timestampMs, contentType) method`);
  }
  return ingester;
}

/** `path`: the module's file when `ref` is a path (checked by checkIngesterSpec), else a package name. */
async function importFactory(ref: string, path: string | undefined): Promise<IngesterFactory> {
  const url = path !== undefined ? pathToFileURL(path).href : ref;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err?.code === 'ERR_MODULE_NOT_FOUND' ? 'not found' : `failed to load: ${err?.message ?? String(e)}`;
    throw new PromsoakError('PROMSOAK_INGESTER', `ingester module ${ref} ${why}`);
  }
  const factory = typeof mod.default === 'function' ? mod.default : mod.createIngester;
  if (typeof factory !== 'function') {
    throw new PromsoakError(
      'PROMSOAK_INGESTER',
      `ingester module ${ref} exports no factory: it must default-export a function (options) => Ingester (see src/engine/ingest/ingester.ts)`,
    );
  }
  return factory as IngesterFactory;
}
