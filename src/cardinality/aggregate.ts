import { linearFit, spread, type LinearFit } from '../analysis/fit.js';
import type { CaseResult } from './spec.js';
import type { MetricType, Subject } from '../protocol/cardinality-case.js';

type Spread = { median: number; min: number; max: number };

/** One shape (subject, type, label sets, observations) over its repeats. */
export interface ShapeSummary {
  subject: Subject;
  type: MetricType;
  labelSets: number;
  observations: number;
  repeats: number;
  bytes: Spread;
  bytesPerLabelSet: Spread;
  bytesPerSeries: Spread;
}

/** Retained bytes against label sets for one type, over every repeat of the ladder. */
export interface TypeFit extends LinearFit {
  subject: Subject;
  type: MetricType;
  observations: number;
  /** slope: bytes per additional label set. */
  bytesPerLabelSet: number;
  bytesPerSeries: number;
}

/** How much bytes per label set move across observation counts, at one grid row. */
export interface Flatness {
  subject: Subject;
  type: MetricType;
  labelSets: number;
  /** Median bytes per label set by observation count. */
  byObservations: { observations: number; bytesPerLabelSet: number }[];
  /** (max − min) ÷ min of those medians, over every observation count. */
  spread: number;
  /** The same, over observation counts above 1 (a summary's digest fills in its first ~100). */
  spreadAbove1: number;
}

const key = (c: { subject: string; type: string; labelSets: number; observations: number }): string =>
  `${c.subject}/${c.type}/${c.labelSets}/${c.observations}`;

export function summarize(cases: readonly CaseResult[]): ShapeSummary[] {
  const groups = new Map<string, CaseResult[]>();
  for (const c of cases) {
    const k = key(c);
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  return [...groups.values()].map((g) => {
    const c = g[0]!;
    return {
      subject: c.subject,
      type: c.type,
      labelSets: c.labelSets,
      observations: c.observations,
      repeats: g.length,
      bytes: spread(g.map((x) => x.bytes)),
      bytesPerLabelSet: spread(g.map((x) => x.bytesPerLabelSet)),
      bytesPerSeries: spread(g.map((x) => x.bytesPerSeries)),
    };
  });
}

/** Per type: least squares over the ladder's cases (every repeat a point). */
export function fitLadder(cases: readonly CaseResult[], ladderLabelSets: readonly number[], observations: number): TypeFit[] {
  const out: TypeFit[] = [];
  const types = [...new Set(cases.map((c) => c.type))];
  for (const type of types) {
    const pts = cases.filter((c) => c.type === type && c.observations === observations && ladderLabelSets.includes(c.labelSets));
    if (new Set(pts.map((p) => p.labelSets)).size < 2) continue;
    const f = linearFit(
      pts.map((p) => p.labelSets),
      pts.map((p) => p.bytes),
    );
    out.push({ subject: pts[0]!.subject, type, observations, ...f, bytesPerLabelSet: f.slope, bytesPerSeries: f.slope / pts[0]!.seriesPerLabelSet });
  }
  return out;
}

/** Per type and grid row: how bytes per label set vary with the observation count. */
export function flatness(summary: readonly ShapeSummary[], gridLabelSets: readonly number[], observations: readonly number[]): Flatness[] {
  if (observations.length < 2) return [];
  const out: Flatness[] = [];
  const rel = (v: number[]): number => (v.length < 2 ? 0 : (Math.max(...v) - Math.min(...v)) / Math.min(...v));
  for (const type of [...new Set(summary.map((s) => s.type))]) {
    for (const n of gridLabelSets) {
      const row = observations
        .map((o) => summary.find((s) => s.type === type && s.labelSets === n && s.observations === o))
        .filter((s): s is ShapeSummary => s !== undefined);
      if (row.length < 2) continue;
      const by = row.map((s) => ({ observations: s.observations, bytesPerLabelSet: s.bytesPerLabelSet.median }));
      out.push({
        subject: row[0]!.subject,
        type,
        labelSets: n,
        byObservations: by,
        spread: rel(by.map((b) => b.bytesPerLabelSet)),
        spreadAbove1: rel(by.filter((b) => b.observations > 1).map((b) => b.bytesPerLabelSet)),
      });
    }
  }
  return out;
}
