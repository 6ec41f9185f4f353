import type { ResolvedProfile } from '../../profile/load.js';
import type { FamilyInput } from '../../profile/schema.js';
import { hashString, mix2, unit } from '../../common/hash.js';
import { loadReplay } from './replay.js';
import { SPLICE, SpliceKind, ValueKind, type ExporterModel, type FamilyModel, type LineModel } from './lines.js';

/**
 * The exporter model: every family of a profile expanded into the sample lines one exporter
 * exposes, with the parameters that make each value a pure function of
 * (seed, exporter, series, time). Built once per worker; shared by all exporters.
 */

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const DEFAULT_QUANTILES = [0.5, 0.9, 0.99];

export function buildModel(profile: ResolvedProfile): ExporterModel {
  const families: FamilyModel[] = [];
  const churnOn = profile.churn.seriesEverySeconds > 0 && profile.churn.seriesFraction > 0;
  for (const f of profile.families) {
    if (f.type === 'replay') {
      families.push(...loadReplay(f.file, f.instanceLabel ?? 'instance', f.counterRatePerSecond ?? 1, profile.seed));
      continue;
    }
    const count = f.count ?? 1;
    for (let k = 0; k < count; k++) {
      const name = count === 1 ? f.name : `${f.name}_${k}`;
      families.push(expandFamily(f, name, profile.seed, churnOn ? profile.churn.seriesFraction : 0));
    }
  }
  let lines = 0;
  for (const fam of families) lines += fam.lines.length;
  return {
    seed: profile.seed,
    families,
    lines,
    valuesEverySeconds: profile.churn.valuesEverySeconds,
    churnEverySeconds: churnOn ? profile.churn.seriesEverySeconds : 0,
  };
}

/**
 * The sample lines one exporter of the profile exposes, counted without building them: the
 * product of each family's label cardinalities times its lines per label set, so that an
 * absurd profile (10¹⁰ series) is refused in microseconds instead of running out of memory.
 * Replayed captures count as one line per 40 bytes of their file (an upper bound that does
 * not read them).
 */
export function estimateLines(profile: ResolvedProfile, fileBytes: (path: string) => number): number {
  let lines = 0;
  for (const f of profile.families) {
    if (f.type === 'replay') {
      lines += Math.ceil(fileBytes(f.file) / 40);
      continue;
    }
    let sets = 1;
    for (const l of f.labels ?? []) sets *= l.values?.length ?? l.cardinality ?? 1;
    const perSet = f.type === 'histogram' ? (f.buckets ?? DEFAULT_BUCKETS).length + 3 : f.type === 'summary' ? (f.quantiles ?? DEFAULT_QUANTILES).length + 2 : 1;
    lines += sets * perSet * (f.count ?? 1);
  }
  return lines;
}

/** Series (label sets) a family declares: the product of its labels' cardinalities. */
export function labelCombinations(f: Exclude<FamilyInput, { type: 'replay' }>): [string, string][][] {
  let combos: [string, string][][] = [[]];
  for (const l of f.labels ?? []) {
    const values = l.values ?? Array.from({ length: l.cardinality! }, (_, i) => `${l.prefix ?? l.name + '-'}${i}`);
    const next: [string, string][][] = [];
    for (const c of combos) for (const v of values) next.push([...c, [l.name, v]]);
    combos = next;
  }
  return combos;
}

function expandFamily(
  f: Exclude<FamilyInput, { type: 'replay' }>,
  name: string,
  seed: number,
  churnFraction: number,
): FamilyModel {
  const famKey = mix2(hashString(name), seed);
  const lines: LineModel[] = [];
  labelCombinations(f).forEach((labels, combo) => {
    const key = mix2(famKey, combo);
    const churned = churnFraction > 0 && unit(mix2(key, 0xc4)) < churnFraction;
    const ls: [string, string][] = churned ? [...labels, ['churn_id', SPLICE]] : labels;
    const splice = churned ? SpliceKind.Epoch : SpliceKind.None;
    const line = (suffix: string, extra: [string, string][], kind: ValueKind, rate: number, aux: number, base: number): void => {
      lines.push({ suffix, labels: [...ls, ...extra], splice, kind, key, rate, aux, base, churned });
    };
    const u = unit(mix2(key, 1));
    switch (f.type) {
      case 'counter':
        // 0.1 … 100 increments/s, log-uniform, from a start of 1e6 … 9e6 (the process has
        // been up a while). The start is the series', not the exporter's: one series has
        // the same magnitude on every exporter, as in a fleet of one application.
        line('', [], ValueKind.Counter, 0.1 * Math.pow(1000, u), 0, uptimeCount(key));
        break;
      case 'gauge':
      case 'untyped':
        line('', [], ValueKind.Gauge, 0, 0, 0);
        break;
      case 'histogram': {
        const buckets = f.buckets ?? DEFAULT_BUCKETS;
        const rate = 1 + 49 * u; // observations/s
        const skew = 0.5 + 1.5 * unit(mix2(key, 3));
        const c0 = uptimeCount(key) >> 3;
        buckets.forEach((le, i) => {
          const cdf = Math.pow((i + 1) / (buckets.length + 1), skew);
          line('_bucket', [['le', formatLe(le)]], ValueKind.Bucket, rate, cdf, c0);
        });
        line('_bucket', [['le', '+Inf']], ValueKind.Count, rate, 0, c0);
        const mid = Math.abs(buckets[buckets.length >> 1]!);
        line('_sum', [], ValueKind.Sum, rate, Math.max(1, Math.round(mid * 1000)), c0);
        line('_count', [], ValueKind.Count, rate, 0, c0);
        break;
      }
      case 'summary': {
        const quantiles = f.quantiles ?? DEFAULT_QUANTILES;
        const rate = 1 + 49 * u;
        const base = mix2(key, 4) % 1000;
        const c0 = uptimeCount(key) >> 3;
        // Quantile values are 2000 thousandths apart and share a jitter below 1000: ordered.
        quantiles.forEach((q, j) => line('', [['quantile', String(q)]], ValueKind.Quantile, 0, base + 2000 * (j + 1), 0));
        line('_sum', [], ValueKind.Sum, rate, base + 2000 * (1 + (quantiles.length >> 1)), c0);
        line('_count', [], ValueKind.Count, rate, 0, c0);
        break;
      }
    }
  });
  return { name, type: f.type, help: f.help ?? `promsoak simulated ${f.type} ${name}`, lines };
}

/** A series' count at the fleet's origin: 1e6 … 9e6, from the series key alone. */
function uptimeCount(key: number): number {
  return 1_000_000 + (mix2(key, 2) % 8_000_000);
}

/** Bucket bounds as client_golang prints them (strconv 'g' shortest): 0.005, 1, 2.5, 1e-07. */
function formatLe(v: number): string {
  return String(v);
}

/** Samples one exporter exposes per scrape: what a scraper's scrape_samples_scraped reports. */
export function seriesPerExporter(model: ExporterModel): number {
  return model.lines;
}
