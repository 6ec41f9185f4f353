import { positiveInts } from '../common/options.js';
import { PromsoakError } from '../common/errors.js';
import { MACHINE_CORES } from '../run/engine-launch.js';
import { parseTarget, targetLabel } from '../run/target-spec.js';

/** One setting of a comparison: what differs between its runs and the others'. */
export interface Variant {
  /** Short name, e.g. "cores=1 ingester=naive". */
  label: string;
  cores?: number;
  /** The built-in engine's ingester (absent for another target). */
  ingester?: string;
  v8Flags: string[];
  nodePath?: string;
  /** The system under test (run/target-spec.ts), builtin by default. */
  target: string;
  /** K=V settings of the target's environment (GOGC=50 …). */
  env: string[];
  /** The A/A twin of the first variant (--control): the same settings, run again in every round. */
  control?: boolean;
}

export interface CompareAxes {
  cores?: number[];
  ingesters?: string[];
  /** Each entry is one setting (space-separated flags); [] means V8's defaults only. */
  v8Flags?: string[];
  nodes?: string[];
  /** Systems under test: builtin, prometheus, victoria-metrics, exec:…, url:… */
  targets?: string[];
  /** Each entry is one setting of the target's environment ("GOGC=50", or several K=V space-separated). */
  envs?: string[];
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
  const targets = a.targets?.length ? a.targets : ['builtin'];
  const envs = a.envs?.length ? a.envs : [''];
  const out: Variant[] = [];
  for (const target of targets) {
    // The engine's own settings (ingester, V8 flags, Node) mean nothing to another target: one row for it.
    const builtin = target === 'builtin';
    for (const c of cores) {
      for (const ing of builtin ? ingesters : [undefined]) {
        for (const f of builtin ? flags : ['']) {
          for (const n of builtin ? nodes : [undefined]) {
            for (const e of envs) {
              const parts: string[] = [];
              if (targets.length > 1) parts.push(targetLabel(parseTarget(target)));
              if (cores.length > 1) parts.push(`cores=${c}`);
              if (ingesters.length > 1 && builtin) parts.push(`ingester=${ing}`);
              if (flags.length > 1 && builtin) parts.push(f ? `v8=${f}` : 'v8=default');
              if (nodes.length > 1 && builtin) parts.push(`node=${n}`);
              if (envs.length > 1) parts.push(e ? e : 'env=default');
              out.push({
                label: parts.join(' ') || 'baseline',
                cores: c,
                ingester: ing,
                v8Flags: f.split(/\s+/).filter(Boolean),
                nodePath: n,
                target,
                env: e.split(/\s+/).filter(Boolean),
              });
            }
          }
        }
      }
    }
  }
  return out;
}

/** A B, B A, A B …: each repeat runs every variant once, every other one in reverse, so machine noise spreads over all of them. */
export function interleave(variants: Variant[], repeat: number): { variant: number; repeat: number }[] {
  const order: { variant: number; repeat: number }[] = [];
  // Every other round in reverse (A B, B A, A B …): whatever running first or second in a round
  // does (a warm page cache, the last run's exit still settling) falls on each variant in turn
  // instead of biasing every pair the same way. An A/A twin always run second read its scrape
  // p99 lower in 7 of 10 compares here.
  for (let r = 0; r < repeat; r++) {
    for (let k = 0; k < variants.length; k++) order.push({ variant: r % 2 === 0 ? k : variants.length - 1 - k, repeat: r });
  }
  return order;
}
