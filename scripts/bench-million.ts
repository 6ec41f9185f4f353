/**
 * The engine at a million series: `node dist/scripts/bench-million.js [--exporters 5000]
 * [--duration 40] [--warmup 20]` (a row of `npm run bench`'s engine bench).
 *
 * A soak, as `promsoak run default --exporters 5000 --duration 40 --warmup 20` runs it: the
 * default profile's 200 series × 5000 exporters every 5 s (1,000,000 series, 200,000
 * samples/s), the cached ingester, the engine a child process with V8's GC trace. Its figures
 * are the soak's summary over the measured window (after the warm-up, once every series
 * exists): the V8 heap (the highest heapUsed of a second), GC as a share of the engine's CPU,
 * the longest GC pause, starved seconds, engine CPU per sample, and the memory per series
 * (peak RSS, and the head's own estimate).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { runSoak } from '../src/run/soak.js';
import type { Summary } from '../src/analysis/summary.js';
import { markdownTable, type Row } from './lib/rows.js';

export interface MillionOptions {
  exporters?: number;
  durationSeconds?: number;
  warmupSeconds?: number;
}

export async function runMillionBench(o: MillionOptions = {}): Promise<Row> {
  const exporters = o.exporters ?? 5000;
  const durationSeconds = o.durationSeconds ?? 40;
  const warmupSeconds = o.warmupSeconds ?? 20;
  const out = mkdtempSync(join(tmpdir(), 'promsoak-bench-million-'));
  try {
    const r = await runSoak({ profile: 'default', exporters, durationSeconds, warmupSeconds, out });
    return millionRow(r.summary, durationSeconds, warmupSeconds);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The row for a soak's summary. */
export function millionRow(s: Summary, durationSeconds: number, warmupSeconds: number): Row {
  const series = s.memory.series ?? 0;
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  const perSeries = (b: number | null): string => (series > 0 && b !== null ? (b / series).toFixed(0) : 'n/a');
  const gcPct = s.gc.cpuShare === null ? 'n/a' : (s.gc.cpuShare * 100).toFixed(1);
  const markCompacts = s.gc.byKind['mark-compact']?.count ?? 0;
  return {
    bench: 'engine',
    subject: 'engine child, ingester cached, 1M-series soak',
    input: `default profile fleet, ${s.load.exporters} targets (${series} series, ${Math.round(s.load.expectedSamplesPerSecond)} samples/s), ${durationSeconds} s after ${warmupSeconds} s warm-up`,
    // The engine's allocation per sample over the window (V8's GC trace), as the column means it.
    bytesPerSample: s.bytesPerSample ?? undefined,
    note:
      `**V8 heap ≤ ${mib(s.memory.peakHeapUsedBytes ?? NaN)} MiB** after warm-up, **GC ${gcPct} %** of engine CPU ` +
      `(${s.gc.count} GCs, ${markCompacts} mark-compact), max pause ${s.gc.maxPauseMs} ms, ${s.starvation.windows} starved s, ` +
      `${s.cpu.usPerSample} µs CPU/sample at ${Math.round(s.samplesPerSecond.mean)} samples/s; ` +
      `RSS ${mib(s.memory.peakRssBytes)} MiB = ${perSeries(s.memory.peakRssBytes)} B/series, head ${perSeries(s.memory.headBytes)} B/series`,
  };
}

async function main(): Promise<void> {
  const { num } = scriptArgs('bench-million');
  const row = await runMillionBench({ exporters: num('--exporters'), durationSeconds: num('--duration'), warmupSeconds: num('--warmup') });
  process.stdout.write(markdownTable([row]) + '\n');
}

runIfMain(import.meta.url, 'bench-million', main);
