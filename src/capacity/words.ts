/**
 * capacity's answer in sentences, shared by the terminal and capacity.html: each core count's
 * outcome with GC's share of the cores at it, the scaling, each fitted line, the prediction and
 * the self-check. Plain text: the renderers escape it for where it goes.
 */
import type { CapacityResult } from './result.js';
import type { CoreModel, Prediction } from './model.js';
import type { ScalingRow, SelfCheck } from './scaling.js';
import type { LineFit, Interval } from './regression.js';
import { bytes, count, pct, plural } from './format.js';

type CoreEntry = CapacityResult['cores'][number];

/**
 * "1 core: ceiling 480k samples/s …; GC took 22.0 % of the cores there", and each criterion a
 * passing step was not judged on: the answer then rests on fewer criteria than the criteria line lists.
 */
export function coreWords(c: CoreEntry, row: ScalingRow | undefined): string {
  const gc = row?.gcShareOfCores;
  const there = gc !== null && gc !== undefined && c.outcome.samplesPerSecond !== null ? `; GC took ${pct(gc)} of the cores there` : '';
  const unjudged = new Map<string, string>();
  for (const s of c.steps) if (s.pass && s.spoiled === undefined) for (const n of s.notJudged ?? []) if (!unjudged.has(n.criterion)) unjudged.set(n.criterion, n.words);
  const blind = unjudged.size ? `; passed without judging ${[...unjudged.keys()].join(', ')} (${[...unjudged.values()].join('; ')})` : '';
  return `${plural(c.cores, 'core')}: ${c.outcome.words}${there}${blind}`;
}

/** "2 cores kept 2.08 × what 1 core kept (1M against 480k samples/s); GC's share of the cores 22.0 % → 21.4 %". */
export function scalingWords(rows: readonly ScalingRow[]): string[] {
  const base = rows[0];
  if (!base || rows.length < 2) return [];
  return rows.slice(1).map((r) => {
    if (r.ratio === null) return `${plural(r.cores, 'core')} against ${plural(base.cores, 'core')}: no ratio (${r.samplesPerSecond === null ? `nothing passed at ${plural(r.cores, 'core')}` : `nothing passed at ${plural(base.cores, 'core')}`})`;
    const bound = r.ratioIsBound ? ' (a bound: a search there ended without a ceiling)' : '';
    const gc = base.gcShareOfCores !== null && r.gcShareOfCores !== null ? `; GC's share of the cores ${pct(base.gcShareOfCores)} → ${pct(r.gcShareOfCores)}` : '';
    return `${plural(r.cores, 'core')} kept ${r.ratio.toFixed(2)} × what ${plural(base.cores, 'core')} kept (${count(r.samplesPerSecond!)} against ${count(base.samplesPerSecond!)} samples/s)${bound}${gc}`;
  });
}

/** A line as "0.050 + 1.90e-6 × x (± 0.02e-6), r² 0.999". */
function lineWords(f: LineFit, y: string, x: string): string {
  return `${y} = ${sig(f.intercept)} + ${sig(f.slope)} × ${x} (slope ± ${sig(f.slopeSe)}, intercept ± ${sig(f.interceptSe)}), r² ${f.r2.toFixed(3)}`;
}

export function modelWords(m: CoreModel): string[] {
  if (!m.cpu || !m.rss) return [`${plural(m.cores, 'core')}: no model (${m.reason ?? 'no fit'})`];
  const out = [
    `${plural(m.cores, 'core')}, ${plural(m.steps, 'passing step')}: ${lineWords(m.cpu, 'CPU p99 cores', 'samples/s')}`,
    `${' '.repeat(String(m.cores).length + 7)}${lineWords(m.rss, 'peak RSS bytes', 'series')}`,
  ];
  if (m.gcCpu) out.push(`${' '.repeat(String(m.cores).length + 7)}${lineWords(m.gcCpu, "GC's cores", 'samples/s')}`);
  return out;
}

/** A value with its 95 % interval; the interval left out when it is the value itself (whole cores often are). */
const range = (i: Interval, f: (v: number) => string, unit = ''): string =>
  i.low === i.value && i.high === i.value ? `${f(i.value)}${unit}` : `${f(i.value)}${unit} (95 %: ${f(i.low)}–${f(i.high)}${unit})`;

/** "2M samples/s and 10M series need 5 cores (95 %: 5–5) and 23.4 GiB of RAM (…) at 80 % utilisation, from the 2-core steps". */
export function predictionWords(p: Prediction): string[] {
  const asked = `${count(p.asked.samples)} samples/s and ${count(p.asked.series)} series`;
  if (p.reason !== null || !p.coresNeeded || !p.ramNeededBytes || !p.cpuCores || !p.rssBytes) return [`${asked}: no prediction (${p.reason ?? 'no fit'})`];
  const out = [
    `${asked} need ${range(p.coresNeeded, String, p.coresNeeded.high === 1 ? ' core' : ' cores')} and ${range(p.ramNeededBytes, bytes)} of RAM at ${pct(p.targetUtilization)} utilisation, from the ${p.basis ?? '?'}-core steps`,
    `  CPU p99 ${range(p.cpuCores, (v) => v.toFixed(2), ' cores')}${p.gcCores ? `, GC's part ${range(p.gcCores, (v) => v.toFixed(2), ' cores')}` : ''}; peak RSS ${range(p.rssBytes, bytes)}`,
  ];
  for (const n of p.notes) out.push(`  ${n}`);
  return out;
}

/** "the 1-core CPU line puts the 2-core ceiling at 1.02M samples/s (95 %: 1.01M–1.03M); measured 1M: +2.4 %". */
export function selfCheckWords(c: SelfCheck): string {
  const head = `the ${c.fromCores}-core CPU line puts the ${c.toCores}-core ceiling`;
  if (!c.predicted) return `${head}: nowhere (${c.reason ?? 'no line'})`;
  const at = `${head} at ${count(c.predicted.value)} samples/s (95 %: ${count(c.predicted.low)}–${c.predicted.high === null ? 'unbounded' : count(c.predicted.high)})`;
  if (c.errorPct === null || c.measured === null) return `${at}; ${c.reason ?? 'nothing measured to check it against'}`;
  return `${at}; measured ${count(c.measured)}: ${c.errorPct >= 0 ? '+' : ''}${c.errorPct.toFixed(1)} %`;
}

/** Three significant figures, exponent form when small or large. */
function sig(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-2 && a < 1e6 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}
