/**
 * What the exporter model is made of: the sample lines of one exporter and how each line's
 * value is computed. Shared by the model (model.ts), replayed captures (replay.ts), the
 * layout and the renderer.
 */

export const enum ValueKind {
  /** base + floor(rate · T) */
  Counter = 0,
  /** hash of (key, exporter, time) in [10, 100) with 3 decimals: a constant width */
  Gauge = 1,
  /** floor((base + floor(rate · T)) · aux), aux = cumulative fraction of observations ≤ le */
  Bucket = 2,
  /** base + floor(rate · T): _count and the +Inf bucket */
  Count = 3,
  /** (base + floor(rate · T)) · aux thousandths, aux = mean observation in thousandths */
  Sum = 4,
  /** aux thousandths + a per-(series, time) jitter below 1 shared by the series' quantiles */
  Quantile = 5,
  /** The value text is part of the literal (replayed gauges and untyped). */
  Literal = 6,
  /** base + floor(rate · T) · aux, formatted as any float (replayed counters). */
  Replay = 7,
}

/** Marks where the renderer splices digits into a label value. */
export const SPLICE = '\u0000';
export const enum SpliceKind {
  None = 0,
  /** the exporter's id (replay's instance label) */
  Exporter = 1,
  /** the churn epoch of the exporter (churn_id label of churned series) */
  Epoch = 2,
}

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface LineModel {
  /** Suffix after the family name: '', '_bucket', '_sum', '_count' (counters: see render). */
  suffix: string;
  /** Label pairs, values unescaped; a value may hold SPLICE once. */
  labels: [string, string][];
  splice: SpliceKind;
  kind: ValueKind;
  key: number;
  rate: number;
  aux: number;
  base: number;
  churned: boolean;
  /** Value text for ValueKind.Literal. */
  literal?: string;
}

export interface FamilyModel {
  /** The name as exposed in text format 0.0.4 (a counter keeps the user's name). */
  name: string;
  type: FamilyType;
  help: string;
  lines: LineModel[];
}

export interface ExporterModel {
  seed: number;
  families: FamilyModel[];
  lines: number;
  valuesEverySeconds: number;
  churnEverySeconds: number;
}
