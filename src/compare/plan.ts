import { positiveInts } from '../common/options.js';
import { PromsoakError } from '../common/errors.js';
import { MACHINE_CORES } from '../run/engine-launch.js';

/** One setting of a comparison: what differs between its runs and the others'. */
export interface Variant {
  /** Short name, e.g. "cores=1 ingester=naive". */
  label: string;
  cores?: number;
  ingester: string;
  v8Flags: string[];
  nodePath?: string;
}

export interface CompareAxes {
  cores?: number[];
  ingesters?: string[];
  /** Each entry is one setting (space-separated flags); [] means V8's defaults only. */
  v8Flags?: string[];
  nodes?: string[];
}

/**
 * The cross product of the axes given, labelled by the axes that have more than one value.
 * More cores than the machine has is a clear error.
 */
export function planVariants(a: CompareAxes, machineCores = MACHINE_CORES): Variant[] {
  const cores = a.cores?.length ? a.cores : [undefined];
  positiveInts('--cores', a.cores?.length ? a.cores : undefined, Number.MAX_SAFE_INTEGER);
  for (const c of a.cores ?? []) {
    if (c > machineCores) throw new PromsoakError('PROMSOAK_USAGE', `--cores ${c} is more than this machine's ${machineCores} cores`);
  }
  const ingesters = a.ingesters?.length ? a.ingesters : ['cached'];
  const flags = a.v8Flags?.length ? a.v8Flags : [''];
  const nodes = a.nodes?.length ? a.nodes : [undefined];
  const out: Variant[] = [];
  for (const c of cores) {
    for (const ing of ingesters) {
      for (const f of flags) {
        for (const n of nodes) {
          const parts: string[] = [];
          if (cores.length > 1) parts.push(`cores=${c}`);
          if (ingesters.length > 1) parts.push(`ingester=${ing}`);
          if (flags.length > 1) parts.push(f ? `v8=${f}` : 'v8=default');
          if (nodes.length > 1) parts.push(`node=${n}`);
          out.push({
            label: parts.join(' ') || 'baseline',
            cores: c,
            ingester: ing,
            v8Flags: f.split(/\s+/).filter(Boolean),
            nodePath: n,
          });
        }
      }
    }
  }
  return out;
}

/** A B A B …: each repeat runs every variant once, so machine noise spreads over all of them. */
export function interleave(variants: Variant[], repeat: number): { variant: number; repeat: number }[] {
  const order: { variant: number; repeat: number }[] = [];
  for (let r = 0; r < repeat; r++) for (let v = 0; v < variants.length; v++) order.push({ variant: v, repeat: r });
  return order;
}
