import { cpus } from 'node:os';

/** One benchmark result line; the table in docs/benchmarks.md is generated from these. */
export interface Row {
  /** What is measured: "render", "scrape", "parse", "ingest", "engine". */
  bench: string;
  /** Who: "promsoak", a peer's name, with its variant. */
  subject: string;
  /** The input: profile or file. */
  input: string;
  nsPerSample?: number;
  mbPerSecond?: number;
  bytesPerSample?: number;
  /** Free-form: ratios, rates, conditions. */
  note?: string;
}

export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(digits));

export function markdownTable(rows: Row[]): string {
  const lines = [
    '| bench | subject | input | ns/sample | MB/s | heap B/sample | note |',
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.bench} | ${r.subject} | ${r.input} | ${fmt(r.nsPerSample, 1)} | ${fmt(r.mbPerSecond, 0)} | ${fmt(r.bytesPerSample, 1)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** `min–max` of a list, each × `scale`, to `digits` places (a row's note gives the spread of its repeats). */
export function rangeText(values: readonly number[], digits = 3, scale = 1): string {
  return `${(Math.min(...values) * scale).toFixed(digits)}–${(Math.max(...values) * scale).toFixed(digits)}`;
}
