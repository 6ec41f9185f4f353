import { visible } from '../common/terminal-text.js';
import { formatPct, type DiffResult, type SeriesRow } from './diff.js';

/** `promsoak diff`'s terminal table: what diff.ts computed, drawn (nothing computed here). */

function grid(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

const num = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

const seriesRows = (rows: SeriesRow[]): string[][] => rows.map((r) => [r.title, num(r.a, r.digits), num(r.b, r.digits), formatPct(r.difference), r.difference.word]);

export function renderDiff(r: DiffResult): string[] {
  const out: string[] = [];
  out.push(`promsoak diff: a = ${visible(r.a)}`);
  out.push(`               b = ${visible(r.b)}`);
  for (const f of r.forced) out.push(`  forced (--force): ${f}`);
  out.push('');
  if (r.kind === 'runs') {
    out.push('headline figures (summary.json; one value a side, no interval):');
    out.push(...grid(['figure', 'a', 'b', 'change'], r.headline.map((h) => [h.title, num(h.a, h.digits), num(h.b, h.digits), formatPct({ pct: h.pct, lowPct: NaN, highPct: NaN })])).map((l) => `  ${l}`));
    out.push('');
    out.push(`per-second series, as means of ${r.blockSeconds} s blocks (a: ${r.blocks!.a}, b: ${r.blocks!.b}); change with its interval (the series' intervals hold together at 95 %; ${r.design === 'paired' ? 'paired by block: the runs were made at the same time' : 'Welch: the runs were made apart'}):`);
    out.push(...grid(['series', 'a', 'b', 'change [simultaneous 95 %]', 'reads'], seriesRows(r.series)).map((l) => `  ${l}`));
    out.push('');
    out.push("  the interval is of these two runs' seconds: noise between runs (another boot, another day) is not in it; compare --repeat measures that");
  } else {
    for (const v of r.variants) {
      out.push(`variant ${visible(v.variant)}: ${v.repeats.a} vs ${v.repeats.b} repeats; mean of the repeats, change with its interval (the figures' intervals hold together at 95 %; Welch):`);
      out.push(...grid(['figure', 'a', 'b', 'change [simultaneous 95 %]', 'reads'], seriesRows(v.rows)).map((l) => `  ${l}`));
      out.push('');
    }
  }
  for (const n of r.notes) out.push(`  • ${visible(n)}`);
  out.push(r.worse.length ? `  worse: ${r.worse.join('; ')}` : '  nothing reads worse at this noise');
  return out;
}
