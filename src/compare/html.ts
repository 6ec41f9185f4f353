import { join } from 'node:path';
import { readNdjson } from '../run/run-dir.js';
import { align, escape, page, table, type Chart } from '../report/html-kit.js';
import type { Frame } from '../protocol/frame.js';
import { METRICS, formatStat, type VariantResult } from './aggregate.js';
import type { Comparison } from './comparisons.js';
import { DIFFERENCE_HEAD, differenceRows } from './difference-table.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** compare.html: the side-by-side table, the verdict, and every run's time series overlaid. */
export function renderCompareHtml(title: string, results: VariantResult[], verdict: string[], comparisons: Comparison[] = []): string {
  const lines: { x: number[]; y: number[] }[] = [];
  const cpu: { x: number[]; y: number[] }[] = [];
  const series: Chart['series'] = [];
  results.forEach((r, vi) => {
    r.runs.forEach((run, ri) => {
      const frames = readNdjson<Frame>(join(run.dir, 'frames.ndjson'));
      const x = frames.map((f) => Math.round(f.t * 10) / 10);
      lines.push({ x, y: frames.map((f) => Math.round(f.samples / ((f.endMs - f.startMs) / 1000))) });
      cpu.push({ x, y: frames.map((f) => Math.round(f.cpu.total * 1000) / 1000) });
      series.push({ label: `${r.variant.label} #${ri + 1}`, stroke: PALETTE[vi % PALETTE.length]!, dash: ri === 0 ? undefined : [4, 3] });
    });
  });
  const charts: Chart[] = [
    { id: 'samples', title: 'Samples ingested per second, every run', xLabel: 's', yLabel: 'samples/s', data: align(lines), series },
    { id: 'cpu', title: 'Engine CPU (cores), every run', xLabel: 's', yLabel: 'cores', data: align(cpu), series },
  ];
  const body = `<h1>${escape(title)}</h1>
<h2>Verdict</h2><ul class="verdict">${verdict.map((v) => `<li>${escape(v)}</li>`).join('')}</ul>
${comparisons.length ? `<h2>Differences from the baseline (simultaneous 95 % intervals)</h2>\n${table(DIFFERENCE_HEAD, differenceRows(comparisons))}` : ''}
<h2>Side by side (median, min–max over repeats)</h2>
${table(['variant', 'runs', ...METRICS.map((m) => m.title)], results.map((r) => [r.variant.label, r.runs.length, ...METRICS.map((m) => formatStat(r.stats[m.key], m.digits))]))}
<h2>Graphs</h2>`;
  return page(title, body, charts);
}
