import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { Summary } from '../analysis/summary.js';
import { align, escape, page, table, type Chart } from './html-kit.js';
import type { SecondGc } from '../analysis/starvation.js';
import { ramBar } from './ram-bar.js';

const MiB = 2 ** 20;
const r1 = (v: number): number => Math.round(v * 10) / 10;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;
/** A figure the target does not expose is a gap in the chart, not a 0. */
const orNull = (v: number | null | undefined, f: (v: number) => number): number | null => (v === null || v === undefined ? null : f(v));

/**
 * report.html: the article's three graphs (samples ingested/s, CPU, memory sawtooth) and
 * what explains them (GC events, allocation, event-loop delay), one x axis: seconds since
 * the soak started, warm-up included. The caller hands in everything drawn: the summary, the
 * frames, the GC events and what GC did in each frame's second (analysis' gcBySecond).
 */
export function renderHtml(s: Summary, frames: Frame[], gc: TimedGcEvent[], per: SecondGc[]): string {
  const t = frames.map((f) => r3(f.t));
  const starved = new Set(s.starvation.seconds.map((x) => x.t));
  const mcs = gc.filter((e) => e.kind === 'mark-compact');
  const charts: Chart[] = [
    {
      id: 'samples',
      title: 'Samples ingested per second',
      xLabel: 's',
      yLabel: 'samples/s',
      data: align([
        { x: t, y: frames.map((f) => Math.round(f.samples / ((f.endMs - f.startMs) / 1000))) },
        { x: t, y: frames.map(() => s.samplesPerSecond.median) },
        { x: t.filter((_, i) => starved.has(Math.round(frames[i]!.t))), y: frames.filter((f) => starved.has(Math.round(f.t))).map((f) => f.samples) },
      ]),
      series: [
        { label: 'samples/s', stroke: '#1f77b4' },
        { label: 'median (measured)', stroke: '#999', dash: [4, 4] },
        { label: 'starved second', stroke: '#d62728', points: true },
      ],
    },
    {
      id: 'cpu',
      title: 'Engine CPU by thread class (cores), and the fleet',
      xLabel: 's',
      yLabel: 'cores',
      data: align([
        { x: t, y: frames.map((f) => r3(f.cpu.total)) },
        { x: t, y: frames.map((f) => orNull(f.cpu.main, r3)) },
        { x: t, y: frames.map((f) => orNull(f.cpu.v8Platform, r3)) },
        { x: t, y: frames.map((f) => (f.cpu.worker === null || f.cpu.other === null ? null : r3(f.cpu.worker + f.cpu.other))) },
        { x: t, y: frames.map((f) => r3(f.fleet.cpuCores)) },
      ]),
      series: [
        { label: 'engine total', stroke: '#222' },
        { label: 'JS main thread', stroke: '#1f77b4' },
        { label: 'V8 platform (GC helpers)', stroke: '#d62728' },
        { label: 'workers + other', stroke: '#2ca02c' },
        { label: 'fleet (load generator)', stroke: '#999', dash: [4, 4] },
      ],
    },
    ...pushCharts(frames, t),
    {
      id: 'heap',
      title: 'Memory: heap before/after each GC (the sawtooth), heap used and RSS each second',
      xLabel: 's',
      yLabel: 'MiB',
      data: align([
        { x: gc.flatMap((e) => [r3(e.t - 0.0005), r3(e.t)]), y: gc.flatMap((e) => [r1(e.sizeBeforeBytes / MiB), r1(e.sizeAfterBytes / MiB)]) },
        { x: t, y: frames.map((f) => orNull(f.heap.usedBytes, (v) => r1(v / MiB))) },
        { x: t, y: frames.map((f) => r1(f.heap.rssBytes / MiB)) },
        { x: mcs.map((e) => r3(e.t)), y: mcs.map((e) => r1(e.sizeBeforeBytes / MiB)) },
      ]),
      series: [
        { label: 'V8 heap (GC trace)', stroke: '#9467bd' },
        { label: 'heap used', stroke: '#1f77b4' },
        { label: 'RSS', stroke: '#ff7f0e' },
        { label: 'mark-compact', stroke: '#d62728', points: true },
      ],
    },
    {
      id: 'alloc',
      title: 'Allocation: MB/s and bytes per sample, each second (GC trace)',
      xLabel: 's',
      yLabel: 'MB/s',
      y2Label: 'B/sample',
      data: align([
        { x: t, y: per.map((p) => r3(p.allocatedBytes / 1e6)) },
        { x: t, y: per.map((p, i) => (frames[i]!.samples > 0 ? r1(p.allocatedBytes / frames[i]!.samples) : null)) },
      ]),
      series: [
        { label: 'allocated MB/s', stroke: '#8c564b' },
        { label: 'B/sample', stroke: '#17becf', scale: 'y2' },
      ],
    },
    {
      id: 'gc',
      title: 'GC work per second (ms) and event-loop delay',
      xLabel: 's',
      yLabel: 'ms',
      data: align([
        { x: t, y: per.map((p) => r1(p.pauseMs + p.incrementalMs)) },
        { x: t, y: per.map((p) => r1(p.backgroundMs)) },
        { x: t, y: frames.map((f) => orNull(f.eventLoop?.delayP99Ms, r1)) },
        { x: t, y: frames.map((f) => orNull(f.eventLoop?.delayMaxMs, r1)) },
      ]),
      series: [
        { label: 'GC pause (main thread)', stroke: '#d62728' },
        { label: 'GC background', stroke: '#ff9896' },
        { label: 'event-loop delay p99', stroke: '#1f77b4' },
        { label: 'event-loop delay max', stroke: '#aec7e8', dash: [4, 4] },
      ],
    },
    {
      id: 'scrapes',
      title: 'Scrape duration (HTTP + ingest), ms',
      xLabel: 's',
      yLabel: 'ms',
      data: align([
        { x: t, y: frames.map((f) => orNull(f.scrapeMs?.p50, r3)) },
        { x: t, y: frames.map((f) => orNull(f.scrapeMs?.p99, r3)) },
      ]),
      series: [
        { label: 'p50', stroke: '#2ca02c' },
        { label: 'p99', stroke: '#d62728' },
      ],
    },
  ];
  const gcRows = Object.entries(s.gc.byKind).map(([k, v]) => [k, v!.count, v!.pauseMs.toFixed(1), v!.maxPauseMs.toFixed(1)]);
  const target = s.run.target && s.run.target.kind !== 'builtin' ? `target ${s.run.ingester}${s.run.target.version ? ` (${s.run.target.version})` : ''}` : `ingester ${s.run.ingester}`;
  const body = `
<h1>promsoak run: ${escape(s.run.profile)} — ${escape(target)}</h1>
<p class="muted">${escape(s.run.startedAt)} · ${escape(s.run.measuredSeconds)} s measured after ${escape(s.run.warmupSeconds)} s warm-up · engine cores ${escape(s.run.cores ?? 'not pinned')} ·
V8 flags ${escape(s.run.v8Flags.join(' ') || 'none')} · Node ${escape(s.run.node)} · ${escape(s.run.machine)} · ${escape(s.run.stopReason)}</p>
<h2>Verdict</h2>
<ul class="verdict">${s.verdict.map((v) => `<li${/WARNING|exited/.test(v) ? ' class="bad"' : ''}>${escape(v)}</li>`).join('')}</ul>
<h2>Numbers</h2>
${table(
  ['', 'value'],
  [
    ['samples/s mean (CV)', `${s.samplesPerSecond.mean} (${s.samplesPerSecond.cv ?? 'n/a'})`],
    ['samples/s min / median / offered', `${s.samplesPerSecond.min} / ${s.samplesPerSecond.median} / ${s.samplesPerSecond.expected}`],
    ['bytes allocated per sample', s.bytesPerSample ?? 'n/a'],
    ['CPU avg / p99 / peak÷avg (cores)', `${s.cpu.avgCores} / ${s.cpu.peakCores} / ${s.cpu.peakOverAvg}`],
    ['CPU per sample (µs)', s.cpu.usPerSample ?? 'n/a'],
    ['GC share of CPU', s.gc.cpuShare === null ? 'n/a' : `${(s.gc.cpuShare * 100).toFixed(1)} %`],
    ['event-loop delay p50 / p99 / max (ms)', s.eventLoopDelayMs ? `${s.eventLoopDelayMs.p50} / ${s.eventLoopDelayMs.p99} / ${s.eventLoopDelayMs.max}` : 'n/a'],
    ['starved seconds (with GC)', `${s.starvation.windows} (${s.starvation.withGc})`],
    ['peak RSS / live heap (MiB)', `${r1(s.memory.peakRssBytes / MiB)} / ${s.memory.liveHeapBytes === null ? 'n/a' : r1(s.memory.liveHeapBytes / MiB)}`],
    ['cores needed', s.provisioning.coresNeeded],
    ['GC adds onto cores / RAM', `${s.provisioning.gcCoreOverheadPct ?? 'n/a'} % / ${s.provisioning.gcRamOverheadPct ?? 'n/a'} %`],
    ['scrapes ok / failed; p99 (ms)', `${s.scrapes.ok ?? 'n/a'} / ${s.scrapes.failed ?? 'n/a'}; ${s.scrapes.durationMs?.p99 ?? 'n/a'}`],
    [`fleet CPU avg / p99 (cores of ${s.fleet.cores})`, `${s.fleet.cpuCores} / ${s.fleet.peakCpuCores}${s.fleet.saturated ? ' — SATURATED' : ''}`],
    ...(s.push
      ? ([
          [`push (remote write ${s.push.protocol}): generated / acknowledged / rejected / dropped`, `${s.push.totals.generated} / ${s.push.totals.acknowledged} / ${s.push.totals.rejected} / ${s.push.totals.droppedBacklog + s.push.totals.droppedAtStop}${s.push.failed ? ' — FAILED' : ''}`],
          ['push: stored by the receiver\'s counter; acknowledged but not stored', `${s.push.stored ?? 'n/a'}; ${s.push.acknowledgedNotStored ?? 'n/a'}`],
          ['push: request latency p50 / p99 (ms)', `${s.push.totals.latencyP50Ms ?? 'n/a'} / ${s.push.totals.latencyP99Ms ?? 'n/a'}`],
        ] as [string, string | number][])
      : []),
  ],
)}
<h2>GC by kind</h2>
${table(['kind', 'count', 'pause ms', 'max pause ms'], gcRows)}
${ramBar(s)}
${heapSection(s)}
${s.thresholds.length ? `<h2>Thresholds</h2>${table(['threshold', 'actual', 'result'], s.thresholds.map((x) => [x.expression, x.actual ?? 'n/a', x.ok ? 'ok' : 'FAILED']))}` : ''}
<h2>Graphs</h2>`;
  return page(`promsoak run ${s.run.profile}`, body, charts);
}

/** Heap snapshots and the allocation profile of the run, with links to the files next to the report. */
function heapSection(s: Summary): string {
  const out: string[] = [];
  // A file beside the report: './' keeps a name like `javascript:…` a relative path, not a scheme.
  const link = (f: string): string => `<a href="${escape('./' + encodeURI(f))}">${escape(f)}</a>`;
  // Cells are HTML here (links): every value in them goes through escape() where the cell is made.
  const rawTable = (head: string[], rows: string[][]): string =>
    `<table><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
  if (s.heapSnapshots?.length) {
    out.push(`<h2>Heap snapshots</h2><p class="muted">Open in Chrome DevTools (Memory → Load) or summarise: <code>promsoak heap summary FILE</code>, <code>promsoak heap diff A B</code>.</p>`);
    out.push(
      rawTable(
        ['file', 'trigger', 't after warm-up (s)', 'engine stopped (ms)', 'MB'],
        s.heapSnapshots.map((h) => [link(h.file), escape(h.trigger + (h.workerThreadId !== undefined ? ` (worker ${h.workerThreadId})` : '')), escape(h.t), escape(h.writeMs ?? 'n/a'), escape(r1(h.bytes / 1e6))]),
      ),
    );
  }
  const a = s.allocProfile;
  if (a) {
    out.push(`<h2>Allocation profile</h2><p class="muted">${link(a.heapprofile)} (Chrome DevTools) · ${link(a.pprof)} (<code>go tool pprof -top -sample_index=alloc_space</code>) · ` +
      `${escape(r1(a.allocatedBytes / 1e6))} MB in ${escape(a.seconds)} s, sampled every ~${escape(a.samplingIntervalBytes)} B (V8's estimates)</p>`);
    out.push(
      table(
        ['function', 'self MB', 'self %', 'cum MB', 'where'],
        a.top.map((x) => [x.function, r1(x.selfBytes / 1e6), r1((x.selfBytes / Math.max(1, a.allocatedBytes)) * 100), r1(x.cumBytes / 1e6), x.file ? `${x.file.split('/').slice(-2).join('/')}:${x.line}` : '']),
      ),
    );
  } else if (a === null) out.push('<h2>Allocation profile</h2><p class="bad">asked for, but not written (see the verdict)</p>');
  return out.join('\n');
}

/** A pushing soak's second chart: where the samples went each second, and the backlog. */
function pushCharts(frames: Frame[], t: number[]): Chart[] {
  if (!frames.some((f) => f.fleet.push)) return [];
  const per = (f: Frame, v: number | undefined): number | null => (v === undefined ? null : Math.round(v / ((f.endMs - f.startMs) / 1000)));
  return [
    {
      id: 'push',
      title: 'Push (remote write): samples per second by where they went, and the backlog',
      xLabel: 's',
      yLabel: 'samples/s',
      data: align([
        { x: t, y: frames.map((f) => per(f, f.fleet.push?.generated)) },
        { x: t, y: frames.map((f) => per(f, f.fleet.push?.acknowledged)) },
        { x: t, y: frames.map((f) => per(f, f.fleet.push === undefined ? undefined : f.fleet.push.rejected + f.fleet.push.dropped)) },
        { x: t, y: frames.map((f) => f.fleet.push?.backlog ?? null) },
      ]),
      series: [
        { label: 'generated/s', stroke: '#999', dash: [4, 4] },
        { label: 'acknowledged/s', stroke: '#1f77b4' },
        { label: 'rejected + dropped /s', stroke: '#d62728' },
        { label: 'backlog (samples)', stroke: '#ff7f0e' },
      ],
    },
  ];
}
