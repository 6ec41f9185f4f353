/**
 * capacity's answer for a terminal: plain lines (no colour), every text that may have come from
 * outside (a profile's name, a target's label, a shard's URL in a failure's words) through
 * `visible` so that it cannot move the cursor or forge a line.
 */
import { visible } from '../common/terminal-text.js';
import type { CapacityResult } from './result.js';
import { coreWords, modelWords, predictionWords, scalingWords, selfCheckWords } from './words.js';
import { bytes, count, pct } from './format.js';

export function renderCapacityTerminal(r: CapacityResult, dir?: string): string {
  const v = (s: string): string => visible(s);
  const lines: string[] = [];
  const coreList = r.cores.map((c) => c.cores).join(', ');
  lines.push(`promsoak capacity: ${v(r.profile)}, ${v(r.target)}, by ${r.by}${r.pushed ? ', pushed' : ''}, cores ${coreList}`);
  lines.push(`  criteria: ${criteriaWords(r)}`);
  lines.push('');
  for (const c of r.cores) lines.push(`  • ${v(coreWords(c, r.scaling.find((s) => s.cores === c.cores)))}`);
  for (const s of scalingWords(r.scaling)) lines.push(`  • ${v(s)}`);
  for (const s of r.selfCheck) lines.push(`  • ${v(selfCheckWords(s))}`);
  if (r.prediction) for (const s of predictionWords(r.prediction)) lines.push(`  ${s.startsWith('  ') ? '  ' : '• '}${v(s.trimStart())}`);
  for (const c of r.cores) {
    lines.push('');
    lines.push(`steps at ${c.cores} core${c.cores === 1 ? '' : 's'}:`);
    lines.push(row(['#', 'phase', 'exporters', 'samples/s', 'ingested', 'CPU p99', 'peak RSS', 'GC', 'B/sample', 'starved', 'p99', 'verdict']));
    for (const s of c.steps) {
      const f = s.figures;
      const verdict = s.spoiled !== undefined ? `spoiled: ${s.spoiled}` : s.pass ? 'pass' : `FAIL: ${s.failed.map((x) => x.words).join('; ')}`;
      const gen = s.generatorSaturated ? `; generator: ${s.generatorSaturated}` : '';
      const notJudged = s.notJudged?.length ? `; ${s.notJudged.map((x) => x.words).join('; ')}` : '';
      lines.push(row([
        String(s.index), s.plan.phase, String(s.plan.load.exporters), count(s.plan.load.offeredSamplesPerSecond), pct(f.ingestedRatio), f.cpuP99Cores.toFixed(2),
        bytes(f.peakRssBytes), f.gcCpuShare === null ? 'n/a' : pct(f.gcCpuShare), f.bytesPerSample === null ? 'n/a' : f.bytesPerSample.toFixed(0), String(f.starvedSeconds),
        f.latencyP99Ms === null ? 'n/a' : `${Math.round(f.latencyP99Ms)} ms`, v(verdict + gen + notJudged),
      ]));
    }
  }
  lines.push('');
  lines.push('model (passing steps):');
  for (const m of r.model) for (const s of modelWords(m)) lines.push(`  ${v(s)}`);
  if (r.notes.length) {
    lines.push('');
    for (const n of r.notes) lines.push(`  note: ${v(n)}`);
  }
  if (dir !== undefined) {
    lines.push('');
    lines.push(`capacity.json and capacity.html in ${v(dir)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function criteriaWords(r: CapacityResult): string {
  const c = r.criteria;
  const what = r.pushed ? 'push' : 'scrape';
  return [
    `${r.pushed ? 'acknowledged' : 'ingested'} ≥ ${pct(c.minIngestedRatio)} of offered`,
    `${what} p99 under ${c.maxLatencyIntervals === 1 ? '' : `${c.maxLatencyIntervals} × `}the ${r.load.intervalSeconds} s interval`,
    `starved seconds ≤ ${c.maxStarvedSeconds}`,
    `CPU p99 under ${c.maxCpuShare === 1 ? '' : `${pct(c.maxCpuShare)} of `}the cores given`,
    c.memoryLimitBytes === null ? 'no memory limit' : `peak RSS under ${bytes(c.memoryLimitBytes)}`,
    ...(r.pushed ? [`backlog growing ≤ ${pct(c.maxBacklogGrowthRatio)} of offered per second`] : []),
  ].join(', ');
}

const WIDTHS = [3, 9, 9, 9, 8, 7, 10, 7, 8, 7, 8];
function row(cells: string[]): string {
  return `  ${cells.map((c, i) => (i < WIDTHS.length ? c.padStart(WIDTHS[i]!) : c)).join('  ')}`;
}
