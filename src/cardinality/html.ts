import { align, escape, inlineSafe, scriptJson, uplotAssets } from '../report/html-kit.js';
import { ARTICLE_HISTOGRAM, ARTICLE_LABEL_SETS, ARTICLE_SIZES } from './article.js';
import type { CardinalityReport } from './run.js';
import { ladderObservations } from './spec.js';
import { renderTables } from './tables.js';

const COLORS: Record<string, string> = { counter: '#1f77b4', gauge: '#2ca02c', histogram: '#d62728', summary: '#9467bd' };

interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Aligned data: x values, then one array per series (null where a series has no point). */
  data: (number | null)[][];
  series: { label: string; stroke: string; dash?: number[] }[];
  logX?: boolean;
}


function charts(r: CardinalityReport): ChartSpec[] {
  const o = r.options;
  const obs0 = ladderObservations(o);
  const MB = 1024 * 1024;
  const out: ChartSpec[] = [];
  const lines: { x: number[]; y: number[] }[] = [];
  const series: ChartSpec['series'] = [];
  for (const t of o.types) {
    const pts = o.labelSets.map((n) => r.summary.find((s) => s.type === t && s.labelSets === n && s.observations === obs0));
    lines.push({ x: o.labelSets, y: pts.map((p) => (p ? p.bytes.median / MB : NaN)) });
    series.push({ label: `${o.subject} ${t}`, stroke: COLORS[t]! });
  }
  for (const t of ['counter', 'gauge'] as const) {
    lines.push({ x: [...ARTICLE_LABEL_SETS], y: ARTICLE_SIZES[t].map((b) => b / MB) });
    series.push({ label: `Go ${t} (article)`, stroke: COLORS[t]!, dash: [6, 4] });
  }
  lines.push({ x: [...ARTICLE_LABEL_SETS], y: ARTICLE_HISTOGRAM.map((row) => row.reduce((a, b) => a + b, 0) / row.length / MB) });
  series.push({ label: 'Go histogram (article, mean over observations)', stroke: COLORS.histogram!, dash: [6, 4] });
  out.push({
    title: `Retained memory by label sets (${obs0} observation${obs0 === 1 ? '' : 's'} per set; medians)`,
    xLabel: 'label sets',
    yLabel: 'MB (1024²)',
    data: align(lines),
    series,
  });
  if (o.observations.length > 1) {
    for (const t of o.types) {
      const rows = o.gridLabelSets;
      const gl = rows.map((n) => ({
        x: o.observations,
        y: o.observations.map((obs) => r.summary.find((s) => s.type === t && s.labelSets === n && s.observations === obs)?.bytesPerLabelSet.median ?? NaN),
      }));
      out.push({
        title: `${t}: bytes per label set by observations per set (medians)`,
        xLabel: 'observations per label set',
        yLabel: 'B / label set',
        data: align(gl),
        series: rows.map((n, i) => ({ label: `${n} label sets`, stroke: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'][i % 6]! })),
      });
    }
  }
  return out;
}

/** cardinality.html: the tables and the plots, one file, no network. */
export function renderHtml(r: CardinalityReport): string {
  const { js, css } = uplotAssets();
  const specs = charts(r);
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>promsoak cardinality — ${escape(r.options.subject)}</title>
<style>${inlineSafe(css)}
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}pre{font-size:12px;background:#f6f6f6;padding:1em;overflow:auto}
.chart{margin:1em 0}h1{font-size:20px}</style>
</head><body>
<h1>promsoak cardinality: memory per label set by metric type</h1>
<p>Subject <b>${escape(r.options.subject)}</b>; vector labels foo, bar, baz (baz-&lt;i&gt; per set); each case a fresh
<code>node --expose-gc</code> process: retained heap + ArrayBuffers after full GCs, minus the same before the build.
Dashed: the Go client's numbers from the article. ${escape(r.machine.cpu)}, ${escape(r.machine.cores)} cores, Node ${escape(r.machine.node)}, ${escape(r.createdAt)}.</p>
<div id="charts"></div>
<pre>${escape(renderTables(r).join('\n'))}</pre>
<script>${inlineSafe(js)}</script>
<script>
const specs = ${scriptJson(specs)};
for (const s of specs) {
  const el = document.createElement('div'); el.className = 'chart';
  document.getElementById('charts').appendChild(el);
  const data = s.data.map((col) => col.map((v) => (v === null || Number.isNaN(v) ? null : v)));
  new uPlot({
    title: s.title, width: Math.min(900, window.innerWidth - 40), height: 360,
    // y from 0: a flat line must look flat, not zoomed into its last percent.
    scales: { x: { time: false }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ label: s.xLabel }, { label: s.yLabel, size: 70 }],
    series: [{ label: s.xLabel }].concat(s.series.map((x) => ({ label: x.label, stroke: x.stroke, dash: x.dash, width: 2, spanGaps: true, points: { show: true, size: 6 } }))),
  }, data, el);
}
</script>
</body></html>
`;
  return page;
}
