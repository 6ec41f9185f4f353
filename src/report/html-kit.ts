import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Self-contained HTML pages with uPlot charts: the library, its CSS and the data are inlined,
 * so a report opens offline, from a file:// URL, years later.
 */
const require = createRequire(import.meta.url);

export function uplotAssets(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/**
 * Library text (uPlot's own JS and CSS, never data) made safe inside <script> / <style>: no
 * closing tag, no HTML comment opener.
 */
export const inlineSafe = (s: string): string => s.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * THE escape for every value written into a page's HTML, text or attribute (quoted with " or '):
 * any value, a number too (a run directory's numbers are data as much as its strings).
 */
export const escape = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/**
 * A value as JSON inside <script>: every `<` (and `>`, `&`, U+2028/9) as a \u escape, so no
 * string of the data can close the script (`</script>`) or open a comment; JSON.parse and JS
 * read the same value.
 */
export const scriptJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export interface ChartSeries {
  label: string;
  stroke: string;
  dash?: number[];
  /** Points only (events), no line. */
  points?: boolean;
  /** 'y2': the right-hand axis. */
  scale?: 'y' | 'y2';
}

export interface Chart {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  /** uPlot's aligned data: xs, then one array per series (null: no point). */
  data: (number | null)[][];
  series: ChartSeries[];
  logX?: boolean;
}

/** The script that draws every chart with uPlot (runs in the page). */
const DRAW = `
for (const c of CHARTS) {
  const el = document.getElementById(c.id);
  const scales = { x: { time: false, distr: c.logX ? 3 : 1 } };
  const axes = [{ label: c.xLabel }, { label: c.yLabel, scale: 'y' }];
  if (c.y2Label) { scales.y2 = {}; axes.push({ label: c.y2Label, scale: 'y2', side: 1, grid: { show: false } }); }
  const series = [{ label: c.xLabel }].concat(c.series.map((s) => ({
    label: s.label, stroke: s.stroke, dash: s.dash, scale: s.scale || 'y', spanGaps: !s.points,
    width: s.points ? 0 : 1.5, points: s.points ? { show: true, size: 6, fill: s.stroke, stroke: s.stroke } : { show: false },
  })));
  const u = new uPlot({ title: c.title, width: Math.min(1100, el.clientWidth || 1100), height: 280, scales, axes, series }, c.data, el);
  el.dataset.rendered = String(c.data[0].length);
}
document.body.dataset.charts = String(CHARTS.length);
`;

export function page(title: string, body: string, charts: Chart[]): string {
  const { js, css } = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>${inlineSafe(css)}
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
.verdict li { margin: 3px 0; } .chart { margin: 18px 0; } .muted { color: #777; } .bad { color: #b00; font-weight: 600; }
</style></head><body>
${body}
${charts.map((c) => `<div class="chart" id="${escape(c.id)}"></div>`).join('\n')}
<script>${inlineSafe(js)}</script>
<script>const CHARTS = ${scriptJson(charts)};${DRAW}</script>
</body></html>
`;
}

/** Aligns series sampled at different xs onto one x axis (nulls elsewhere). */
export function align(lines: { x: number[]; y: (number | null)[] }[]): (number | null)[][] {
  const xs = [...new Set(lines.flatMap((l) => l.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  return [
    xs,
    ...lines.map((l) => {
      const col: (number | null)[] = new Array(xs.length).fill(null);
      l.x.forEach((x, i) => (col[index.get(x)!] = l.y[i] ?? null));
      return col;
    }),
  ];
}

export function table(head: string[], rows: (string | number)[][]): string {
  return `<table><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}
