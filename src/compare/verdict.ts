import type { VariantResult } from './aggregate.js';

/** The comparison in words: every variant against the first, on the numbers that moved. */
export function compareVerdict(results: VariantResult[]): string[] {
  const out: string[] = [];
  if (results.length === 0) return out;
  const base = results[0]!;
  const b = base.stats;
  const pct = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} %` : 'n/a');
  for (const r of results.slice(1)) {
    const s = r.stats;
    const parts: string[] = [];
    parts.push(`ingestion CV ${b.samplesCv.median.toFixed(3)} → ${s.samplesCv.median.toFixed(3)}`);
    parts.push(`starved seconds ${b.starved.median} → ${s.starved.median}`);
    const gcDelta = s.gcShare.median - b.gcShare.median;
    parts.push(!Number.isFinite(gcDelta) ? `GC share of CPU ${pct(b.gcShare.median)} → ${pct(s.gcShare.median)}` : Math.abs(gcDelta) < Math.max(1, 0.1 * b.gcShare.median) ? `GC share of CPU unchanged (${pct(b.gcShare.median)} → ${pct(s.gcShare.median)})` : `GC share of CPU ${pct(b.gcShare.median)} → ${pct(s.gcShare.median)}`);
    parts.push(`GCs ${Math.round(b.gcCount.median)} → ${Math.round(s.gcCount.median)}`);
    parts.push(`CPU ${b.cpuAvg.median.toFixed(2)} → ${s.cpuAvg.median.toFixed(2)} cores avg, p99 ${b.cpuPeak.median.toFixed(2)} → ${s.cpuPeak.median.toFixed(2)}`);
    if (Number.isFinite(b.usPerSample.median) && Number.isFinite(s.usPerSample.median)) parts.push(`${b.usPerSample.median.toFixed(2)} → ${s.usPerSample.median.toFixed(2)} µs/sample`);
    if (Number.isFinite(b.bytesPerSample.median) && Number.isFinite(s.bytesPerSample.median)) parts.push(`${b.bytesPerSample.median.toFixed(0)} → ${s.bytesPerSample.median.toFixed(0)} B/sample`);
    parts.push(`peak RSS ${b.peakRssMiB.median.toFixed(0)} → ${s.peakRssMiB.median.toFixed(0)} MiB`);
    out.push(`${r.variant.label} vs ${base.variant.label}: ${parts.join('; ')}.`);
  }
  for (const r of results) {
    const secs = r.runs[0]?.summary.run.measuredSeconds ?? 0;
    if (r.stats.starved.median > 0) out.push(`${r.variant.label} was starved in ${r.stats.starved.median} of ${Math.round(secs)} s (median of ${r.runs.length} runs).`);
    if (r.fleetSaturatedRuns > 0) out.push(`WARNING: ${r.variant.label}: the load generator was saturated in ${r.fleetSaturatedRuns} of ${r.runs.length} runs.`);
  }
  const shared = results.filter((r) => r.fleetShared).map((r) => r.variant.label);
  if (shared.length) out.push(`the fleet shared the engine's (or target's) cores in: ${shared.join(', ')} (no core was left for it).`);
  return out;
}

export interface FindCoresResult {
  coresNeeded: number | null;
  maxCv: number;
  maxCpuShare: number;
  tried: { cores: number; cv: number; cpuP99: number; ok: boolean }[];
}

/** The smallest core count whose ingestion is flat: median CV and p99 CPU (÷ cores) under the bounds. */
export function findCores(results: VariantResult[], maxCv: number, maxCpuShare: number): FindCoresResult {
  const tried = results
    .filter((r) => r.variant.cores !== undefined)
    .map((r) => {
      const cores = r.variant.cores!;
      const cv = r.stats.samplesCv.median;
      const cpuP99 = r.stats.cpuPeak.median;
      return { cores, cv, cpuP99, ok: cv <= maxCv && cpuP99 <= cores * maxCpuShare && r.stats.starved.median === 0 };
    })
    .sort((a, b) => a.cores - b.cores);
  return { coresNeeded: tried.find((t) => t.ok)?.cores ?? null, maxCv, maxCpuShare, tried };
}
