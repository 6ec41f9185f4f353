import { escape, page, table } from '../report/html-kit.js';
import { formatPct, type DiffResult, type SeriesRow } from './diff.js';

/** `promsoak diff --html`: the terminal's tables as a page; every value through html-kit's one escape (table() and escape()). */

const num = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const rows = (rs: SeriesRow[]): string[][] => rs.map((r) => [r.title, num(r.a, r.digits), num(r.b, r.digits), formatPct(r.difference), r.difference.word]);
const HEAD = ['figure', 'a', 'b', 'change [simultaneous 95 %]', 'reads'];

export function renderDiffHtml(r: DiffResult): string {
  const parts: string[] = [`<h1>promsoak diff</h1><p>a = ${escape(r.a)}<br>b = ${escape(r.b)}</p>`];
  if (r.forced.length) parts.push(`<p class="bad">${r.forced.map((f) => `forced (--force): ${escape(f)}`).join('<br>')}</p>`);
  if (r.kind === 'runs') {
    parts.push('<h2>Headline figures (summary.json; one value a side, no interval)</h2>');
    parts.push(table(['figure', 'a', 'b', 'change'], r.headline.map((h) => [h.title, num(h.a, h.digits), num(h.b, h.digits), formatPct({ pct: h.pct, lowPct: NaN, highPct: NaN })])));
    parts.push(`<h2>Per-second series, means of ${escape(r.blockSeconds)} s blocks (${r.design === 'paired' ? 'paired by block' : 'Welch'})</h2>`);
    parts.push(table(HEAD, rows(r.series)));
  } else {
    for (const v of r.variants) {
      parts.push(`<h2>Variant ${escape(v.variant)}: ${escape(v.repeats.a)} vs ${escape(v.repeats.b)} repeats (Welch)</h2>`);
      parts.push(table(HEAD, rows(v.rows)));
    }
  }
  parts.push(`<ul class="verdict">${r.notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul>`);
  parts.push(r.worse.length ? `<p class="bad">worse: ${escape(r.worse.join('; '))}</p>` : '<p>nothing reads worse at this noise</p>');
  return page('promsoak diff', parts.join('\n'), []);
}
