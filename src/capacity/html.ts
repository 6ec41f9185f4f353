/**
 * capacity.html: the answer in words, then per core count every step in a table and how each
 * resource moved against the offered samples/s (CPU p99 with the model's line and the cores
 * given, peak RSS, GC's share of the CPU, bytes per sample, starved seconds, latency with the
 * interval), passing and failing steps apart and the knee (the answer's load) marked. One
 * self-contained page (report/html-kit.ts: uPlot inlined); every value written into the HTML
 * goes through html-kit's escape, every value into the script through scriptJson.
 */
import { escape, page, table, align, type Chart } from '../report/html-kit.js';
import type { CapacityResult } from './result.js';
import type { StepResult } from './types.js';
import { criteriaWords } from './terminal.js';
import { coreWords, modelWords, predictionWords, scalingWords, selfCheckWords } from './words.js';
import { bytes, count, pct } from './format.js';

const PASS = '#2a7';
const FAIL = '#c33';
const KNEE = '#000';
const LINE = '#36c';

type CoreEntry = CapacityResult['cores'][number];

export function renderCapacityHtml(r: CapacityResult): string {
  const title = `promsoak capacity: ${r.profile}, ${r.target}`;
  const words = [
    ...r.cores.map((c) => coreWords(c, r.scaling.find((s) => s.cores === c.cores))),
    ...scalingWords(r.scaling),
    ...r.selfCheck.map(selfCheckWords),
    ...(r.prediction ? predictionWords(r.prediction).map((s) => s.trim()) : []),
  ];
  const charts: Chart[] = [];
  const sections = r.cores.map((c) => {
    const cs = coreCharts(r, c);
    charts.push(...cs);
    return `<h2>${escape(`${c.cores} core${c.cores === 1 ? '' : 's'}: ${c.outcome.kind}`)}</h2>
<p>${escape(c.outcome.words)}</p>
${stepsTable(c.steps)}
<p class="muted">Charts for ${escape(c.cores)} core${c.cores === 1 ? '' : 's'}: ${cs.map((x) => escape(x.title)).join(' · ')} (below).</p>`;
  });
  const body = `<h1>${escape(title)}</h1>
<p class="muted">${escape(`by ${r.by}${r.pushed ? ', pushed' : ''}; ${r.load.samplesPerExporterPerSecond} samples/s and ${r.load.seriesPerExporter} series per exporter, up to ${r.load.maxExporters} exporters; promsoak ${r.tool.version}, started ${r.startedAt}`)}</p>
<p>Criteria: ${escape(criteriaWords(r))}</p>
<ul class="verdict">${words.map((w) => `<li>${escape(w)}</li>`).join('')}</ul>
<h2>Model (passing steps)</h2>
<ul>${r.model.flatMap(modelWords).map((w) => `<li>${escape(w.trim())}</li>`).join('')}</ul>
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul>` : ''}
${sections.join('\n')}`;
  return page(title, body, charts);
}

function stepsTable(steps: StepResult[]): string {
  return table(
    ['#', 'phase', 'exporters', 'samples/s offered', 'ingested', 'CPU p99', 'peak RSS', 'GC of CPU', 'B/sample', 'starved s', 'p99 latency', 'verdict'],
    steps.map((s) => {
      const f = s.figures;
      const verdict = s.spoiled !== undefined ? `spoiled (repeated): ${s.spoiled}` : s.pass ? 'pass' : `fail: ${s.failed.map((x) => x.words).join('; ')}`;
      const extra = [s.generatorSaturated ? `generator: ${s.generatorSaturated}` : '', ...(s.notJudged ?? []).map((x) => x.words)].filter(Boolean);
      return [
        s.index, s.plan.phase, s.plan.load.exporters, count(s.plan.load.offeredSamplesPerSecond), pct(f.ingestedRatio), f.cpuP99Cores.toFixed(2), bytes(f.peakRssBytes),
        f.gcCpuShare === null ? 'n/a' : pct(f.gcCpuShare), f.bytesPerSample === null ? 'n/a' : f.bytesPerSample.toFixed(0), f.starvedSeconds,
        f.latencyP99Ms === null ? 'n/a' : `${f.latencyP99Ms.toFixed(0)} ms`, [verdict, ...extra].join('; '),
      ];
    }),
  );
}

/** One chart per resource: passing and failing steps as points, the knee as a point at the answer's load, and a reference line where one applies. */
function coreCharts(r: CapacityResult, c: CoreEntry): Chart[] {
  const judged = c.steps.filter((s) => s.spoiled === undefined);
  const pass = judged.filter((s) => s.pass);
  const fail = judged.filter((s) => !s.pass);
  const knee = c.outcome.exporters === null ? [] : judged.filter((s) => s.pass && s.plan.load.exporters === c.outcome.exporters).slice(-1);
  const kneeLabel = c.outcome.kind === 'ceiling' ? 'ceiling (the knee)' : `at least (${c.outcome.kind})`;
  const model = r.model.find((m) => m.cores === c.cores);
  // By series, the steps are drawn against the series offered (the model's RSS line is over series); by rate, against samples/s.
  const x = (s: StepResult): number => (r.by === 'series' ? s.plan.load.series : s.plan.load.offeredSamplesPerSecond);
  const xsAll = judged.map(x);
  const chart = (key: string, title: string, yLabel: string, y: (s: StepResult) => number | null, refs: { label: string; y: (x: number) => number }[] = []): Chart => {
    const lines = [
      { x: pass.map(x), y: pass.map(y) },
      { x: fail.map(x), y: fail.map(y) },
      { x: knee.map(x), y: knee.map(y) },
      ...refs.map((ref) => ({ x: xsAll, y: xsAll.map(ref.y) })),
    ];
    return {
      id: `c${c.cores}-${key}`,
      title: `${c.cores} core${c.cores === 1 ? '' : 's'}: ${title}`,
      xLabel: r.by === 'series' ? 'series offered' : 'offered samples/s',
      yLabel,
      logX: true,
      data: align(lines),
      series: [
        { label: 'pass', stroke: PASS, points: true },
        { label: 'fail', stroke: FAIL, points: true },
        { label: kneeLabel, stroke: KNEE, points: true },
        ...refs.map((ref, i) => ({ label: ref.label, stroke: i === 0 ? LINE : '#999', dash: [6, 4] })),
      ],
    };
  };
  const cpuRefs = [
    ...(model?.cpu && r.by === 'rate' ? [{ label: 'model: a + b·samples/s', y: (v: number): number => model.cpu!.intercept + model.cpu!.slope * v }] : []),
    { label: `the CPU criterion (${(r.criteria.maxCpuShare * c.cores).toFixed(2)} cores)`, y: (): number => r.criteria.maxCpuShare * c.cores },
  ];
  const latencyLimit = r.criteria.maxLatencyIntervals * r.load.intervalSeconds * 1000;
  return [
    chart('cpu', 'CPU p99 (cores)', 'cores', (s) => s.figures.cpuP99Cores, cpuRefs),
    chart('rss', 'peak RSS (MiB)', 'MiB', (s) => s.figures.peakRssBytes / 2 ** 20, [
      ...(model?.rss && r.by === 'series' ? [{ label: 'model: c + d·series', y: (v: number): number => (model.rss!.intercept + model.rss!.slope * v) / 2 ** 20 }] : []),
      ...(r.criteria.memoryLimitBytes === null ? [] : [{ label: 'memory limit', y: (): number => r.criteria.memoryLimitBytes! / 2 ** 20 }]),
    ]),
    chart('gc', "GC's share of CPU (%)", '%', (s) => (s.figures.gcCpuShare === null ? null : s.figures.gcCpuShare * 100)),
    chart('bps', 'bytes allocated per sample', 'B/sample', (s) => s.figures.bytesPerSample),
    chart('starved', 'starved seconds', 's', (s) => s.figures.starvedSeconds),
    chart('latency', `${r.pushed ? 'push' : 'scrape'} p99 latency (ms)`, 'ms', (s) => s.figures.latencyP99Ms, [{ label: 'the latency criterion', y: () => latencyLimit }]),
  ];
}
