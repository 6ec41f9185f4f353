import { ARTICLE_HISTOGRAM_OBSERVATIONS, ARTICLE_LABEL_SETS, ARTICLE_PRINTED } from './article.js';
import type { CardinalityReport } from './run.js';
import { ladderObservations } from './spec.js';

/** Bytes as pprof prints them (kB = 1024 B, MB = 1024² B), the article's units. */
export function fmtBytes(b: number): string {
  const a = Math.abs(b);
  if (a >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(2)}MB`;
  if (a >= 1024) return `${(b / 1024).toFixed(2)}kB`;
  return `${Math.round(b)}B`;
}

const fmtCount = (n: number): string => (n % 1000 === 0 && n >= 1000 ? `${n / 1000}k` : String(n));
const fmtB = (b: number): string => (Math.abs(b) >= 100 ? b.toFixed(0) : b.toFixed(1));

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

/** Every table of a report, as lines (the article's shapes, ours beside the Go client's). */
export function renderTables(r: CardinalityReport): string[] {
  const o = r.options;
  const obs0 = ladderObservations(o);
  const rep = o.repeat > 1 ? `median of ${o.repeat} (min–max)` : '1 run';
  const cell = (t: string, n: number, obs: number, per: boolean): string => {
    const s = r.summary.find((x) => x.type === t && x.labelSets === n && x.observations === obs);
    if (!s) return '-';
    const v = per ? s.bytesPerLabelSet : s.bytes;
    const f = per ? fmtB : fmtBytes;
    return s.repeats > 1 ? `${f(v.median)} (${f(v.min)}–${f(v.max)})` : f(v.median);
  };
  const out: string[] = [];
  const subj = o.subject === 'engine' ? `engine (cached ingester, head window ${o.headWindow}; observations = scrapes)` : 'prom-client';
  out.push(`Retained memory by label sets — ${subj}, ${obs0} observation${obs0 === 1 ? '' : 's'} per set, ${rep}`);
  out.push(...table(['', ...o.labelSets.map(fmtCount)], o.types.map((t) => [t, ...o.labelSets.map((n) => cell(t, n, obs0, false))])));
  out.push('', `Bytes per label set — ${rep}`);
  out.push(...table(['', ...o.labelSets.map(fmtCount)], o.types.map((t) => [t, ...o.labelSets.map((n) => cell(t, n, obs0, true))])));

  if (r.fits.length > 0) {
    out.push('', 'Linear fit, bytes = slope × label sets + intercept (least squares over every run); Go: the article\'s numbers fitted the same way');
    const rows = r.fits.map((f) => {
      const go = r.article.fits.find((g) => g.type === f.type);
      return [f.type, fmtB(f.slope), fmtB(f.bytesPerSeries), fmtBytes(f.intercept), f.r2.toFixed(5), go ? fmtB(go.slope) : '-', go ? go.r2.toFixed(3) : '-'];
    });
    out.push(...table(['', 'B/label set', 'B/series', 'intercept', 'R²', 'Go B/label set', 'Go R²'], rows));
  }

  out.push('', 'Go client_golang (the article, pprof inuse_space, mean of 3)');
  out.push(...table(['', ...ARTICLE_LABEL_SETS.map(fmtCount)], (['counter', 'gauge'] as const).map((t) => [t, ...ARTICLE_PRINTED[t]])));

  if (o.observations.length > 1 && o.gridLabelSets.length > 0) {
    for (const t of o.types) {
      const flat = r.flatness.filter((f) => f.type === t);
      if (flat.length === 0) continue;
      out.push('', `${t}: retained memory, label sets (rows) × observations per set (columns), ${rep}`);
      const head = ['label sets', ...o.observations.map(String), 'spread', 'spread >1'];
      const rows = o.gridLabelSets.map((n) => {
        const f = flat.find((x) => x.labelSets === n);
        const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
        return [fmtCount(n), ...o.observations.map((obs) => cell(t, n, obs, false)), pct(f?.spread), pct(f?.spreadAbove1)];
      });
      out.push(...table(head, rows));
    }
    out.push('', 'spread: (max − min) ÷ min of the medians across observation counts (">1": without the 1-observation column)');
    out.push('', 'Go client_golang histogram (the article): label sets × observations');
    out.push(
      ...table(
        ['label sets', ...ARTICLE_HISTOGRAM_OBSERVATIONS.map(String)],
        ARTICLE_LABEL_SETS.map((n, i) => [fmtCount(n), ...ARTICLE_PRINTED.histogram[i]!]),
      ),
    );
  }

  const top = r.cases.filter((c) => c.snapshotTop);
  for (const c of top) {
    out.push('', `Heap snapshot ${c.heapSnapshot}: top 5 by self size (${c.type}, ${c.labelSets} label sets × ${c.observations})`);
    out.push(...table(['constructor', 'self size', 'count'], c.snapshotTop!.map((s) => [s.name, fmtBytes(s.selfSize), String(s.count)])));
  }
  out.push('', `${r.cases.length} cases in ${r.wallSeconds.toFixed(1)} s on ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node}`);
  return out;
}
