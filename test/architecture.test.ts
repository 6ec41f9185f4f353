import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { ROOT } from './helpers/tools.js';

/**
 * The import graph of src/, read from the TypeScript sources (type-only imports included):
 * no file imports itself through others, no folder imports a folder that imports it back,
 * and code that runs in one process or thread imports only its own folders and the shared
 * libraries below it. docs/architecture.md draws the same map.
 */

const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const URL_SPEC = /new URL\(\s*['"](\.{1,2}\/[^'"]+\.js)['"]/g;

/** file (relative to src/) → the src files it imports; `new URL('./x.js', import.meta.url)` entry points are not imports. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of tsFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const from = relative(SRC, file);
    const to: string[] = [];
    for (const m of text.matchAll(SPEC)) {
      const target = normalize(join(dirname(from), m[1]!)).replace(/\.js$/, '.ts');
      if (!target.startsWith('..')) to.push(target);
    }
    g.set(from, to);
  }
  return g;
}

const folderOf = (file: string): string => (dirname(file) === '.' ? '(src)' : dirname(file));

/** Strongly connected components with more than one node, or a node that imports itself (Tarjan). */
function cycles(g: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || g.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * Where each folder's code runs. A folder may import its own process's folders and the
 * libraries (common, protocol, profile); the coordinator's folders may import anything below
 * them, which the folder DAG keeps one-way.
 */
const PROCESS: Record<string, string> = {
  'engine': 'engine child',
  'engine/ingest': 'engine child',
  'engine/parse': 'engine child',
  'engine/wasm': 'engine child',
  'telemetry/agent': 'engine child (preloaded agent)',
  'fleet/render': 'fleet render thread',
  'cardinality/case': 'cardinality case child',
};
const LIBRARIES = new Set(['common', 'protocol', 'profile']);
/** What each process kind may reach besides its own folders and the libraries. */
const ALSO: Record<string, string[]> = {
  'engine child (preloaded agent)': [],
  'engine child': [],
  'fleet render thread': [],
  'cardinality case child': ['engine', 'engine/ingest', 'engine/parse', 'engine/wasm'],
};

describe('architecture: the import graph of src/', () => {
  const g = graph();

  it('reads every source file and its imports', () => {
    assert.ok(g.size > 80, `${g.size} files`);
    for (const [from, to] of g) for (const t of to) assert.ok(g.has(t), `${from} imports ${t}, which is not a source file`);
  });

  it('has no import cycle between files', () => {
    const files = new Map([...g].map(([k, v]) => [k, new Set(v)]));
    assert.deepEqual(cycles(files), []);
  });

  it('has no import cycle between folders (no folder imports one that imports it back)', () => {
    const folders = new Map<string, Set<string>>();
    const why = new Map<string, string>();
    for (const [from, to] of g) {
      const a = folderOf(from);
      const set = folders.get(a) ?? folders.set(a, new Set()).get(a)!;
      for (const t of to) {
        const b = folderOf(t);
        if (a === b) continue;
        set.add(b);
        why.set(`${a}→${b}`, `${from} → ${t}`);
      }
    }
    const found = cycles(folders);
    const explain = found.map((scc) => scc.flatMap((a) => scc.filter((b) => why.has(`${a}→${b}`)).map((b) => why.get(`${a}→${b}`)!)));
    assert.deepEqual(explain, []);
  });

  it('keeps each process to its own folders and the libraries', () => {
    const bad: string[] = [];
    for (const [from, to] of g) {
      const kind = PROCESS[folderOf(from)];
      if (!kind) continue;
      for (const t of to) {
        const f = folderOf(t);
        if (LIBRARIES.has(f) || PROCESS[f] === kind || ALSO[kind]!.includes(f)) continue;
        bad.push(`${from} (${kind}) imports ${t}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('keeps the libraries below everything else', () => {
    const bad: string[] = [];
    for (const [from, to] of g) {
      if (!LIBRARIES.has(folderOf(from))) continue;
      for (const t of to) if (!LIBRARIES.has(folderOf(t))) bad.push(`${from} imports ${t}`);
    }
    assert.deepEqual(bad, []);
  });

  it('names the real entry points it does not count as imports', () => {
    // new URL('…', import.meta.url) starts a process or thread: those paths must exist too.
    for (const [from] of g) {
      const text = readFileSync(join(SRC, from), 'utf8');
      for (const m of text.matchAll(URL_SPEC)) {
        const target = normalize(join('src', dirname(from), m[1]!)).replace(/\.js$/, '.ts');
        assert.ok(statSync(join(ROOT, target), { throwIfNoEntry: false })?.isFile(), `${from}: ${m[1]} → ${target} does not exist`);
      }
    }
  });
});
