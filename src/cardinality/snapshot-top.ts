import { readFileSync, statSync } from 'node:fs';

/** One row of a heap snapshot summary, grouped as Chrome DevTools' "Summary" view does. */
export interface ConstructorTotal {
  name: string;
  selfSize: number;
  count: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

/**
 * LIMIT: loads the whole snapshot with JSON.parse, so the file must stay under V8's largest
 * string (~512 MiB) and the parent needs a few times its size in memory. Fine for the
 * snapshots of this experiment at up to ~100k counter label sets; a bigger heap needs a
 * streaming parser (src/heap/).
 */
export const SNAPSHOT_MAX_BYTES = 500 * 1024 * 1024;

/** Node type → the group DevTools shows it under (objects by constructor name). */
function groupOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name || '(anonymous)';
    case 'closure':
      return '(closure)';
    case 'regexp':
      return 'RegExp';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'code':
      return '(compiled code)';
    case 'hidden':
    case 'object shape':
      return '(system)';
    default:
      return `(${type})`;
  }
}

/** Totals of self size by constructor, largest first (the article's `pprof top`). */
export function summarizeSnapshot(json: SnapshotJson): ConstructorTotal[] {
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  if (fType < 0 || fName < 0 || fSize < 0) throw new Error('heap snapshot: node_fields lack type, name or self_size');
  const totals = new Map<string, ConstructorTotal>();
  const nodes = json.nodes;
  for (let i = 0; i + width <= nodes.length; i += width) {
    const name = groupOf(types[nodes[i + fType]!] ?? 'unknown', json.strings[nodes[i + fName]!] ?? '');
    let t = totals.get(name);
    if (!t) totals.set(name, (t = { name, selfSize: 0, count: 0 }));
    t.selfSize += nodes[i + fSize]!;
    t.count++;
  }
  return [...totals.values()].sort((a, b) => b.selfSize - a.selfSize);
}

/** The top `n` constructors of a .heapsnapshot file. */
export function snapshotTop(path: string, n = 5): ConstructorTotal[] {
  const size = statSync(path).size;
  if (size > SNAPSHOT_MAX_BYTES) {
    throw new Error(`${path} is ${(size / 2 ** 20).toFixed(0)} MiB; the summariser loads snapshots whole and stops at ${SNAPSHOT_MAX_BYTES / 2 ** 20} MiB (use fewer label sets with --heap-snapshot)`);
  }
  return summarizeSnapshot(JSON.parse(readFileSync(path, 'utf8')) as SnapshotJson).slice(0, n);
}
