/**
 * The engine's fixed cost per second against its cost per scrape:
 * `node dist/scripts/bench-fixed-cost.js [--exporters 1000] [--intervals 5,10,20,40] [--duration 30]`
 * (a row of `npm run bench`'s engine bench).
 *
 * The same 1000 targets of the default profile (200 samples a scrape) soaked at several scrape
 * intervals: 200, 100, 50 and 25 scrapes/s, and once at a 3600 s interval, where a 30 s window
 * holds about 8 scrapes: the engine idles with its 1000 loops armed. Fixed cost is that idle
 * engine's CPU (all its threads, /proc): what it spends each second whatever it scrapes (its
 * timers, stats and frames, self-metrics, the telemetry agent with its event-loop-delay timer).
 * A scrape's cost at each rate is (CPU − fixed) ÷ scrapes/s: timer, request write, socket
 * wake-up and read, HTTP, parse, head, for 200 samples. A least-squares line through the busy
 * points is given too; its intercept is NOT the fixed cost: a scrape costs more at low rates
 * (fewer scrapes share a wake-up, caches are cold), which lifts the intercept. The idle head is
 * empty (its targets are not yet scraped), so its GC has less to trace than a full one's. Each
 * busy soak's warm-up is longer than its interval, so every series exists before the window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { linearFit } from '../src/analysis/fit.js';
import { runSoak } from '../src/run/soak.js';
import { markdownTable, type Row } from './lib/rows.js';

export interface FixedCostOptions {
  exporters?: number;
  intervalsSeconds?: number[];
  durationSeconds?: number;
}

export interface FixedCostPoint {
  intervalSeconds: number;
  scrapesPerSecond: number;
  samplesPerSecond: number;
  /** Engine CPU, ms per second (all threads). */
  cpuMsPerSecond: number;
  /** The telemetry agent's own main-thread time, ms per second. */
  agentMsPerSecond: number | null;
}

export interface FixedCostFit {
  /** The idle engine's CPU, ms/s. */
  fixedMsPerSecond: number;
  /** The least-squares line through the busy points: intercept (ms/s) and slope (µs per scrape). */
  interceptMsPerSecond: number;
  perScrapeUs: number;
  /** Coefficient of determination of the fit. */
  r2: number;
}

/** The idle point: a 30 s window holds about 8 of 1000 targets' first scrapes. */
const IDLE_INTERVAL_S = 3600;
/** Long enough for the engine's start-up (JIT, first frames) to be over. */
const IDLE_WARMUP_S = 40;

export async function runFixedCostBench(o: FixedCostOptions = {}): Promise<{ points: FixedCostPoint[]; fit: FixedCostFit; row: Row }> {
  const exporters = o.exporters ?? 1000;
  const intervals = o.intervalsSeconds ?? [5, 10, 20, 40];
  const durationSeconds = o.durationSeconds ?? 30;
  const points: FixedCostPoint[] = [];
  for (const intervalSeconds of [IDLE_INTERVAL_S, ...intervals]) {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-bench-fixed-'));
    try {
      const warmupSeconds = intervalSeconds === IDLE_INTERVAL_S ? IDLE_WARMUP_S : intervalSeconds + 5;
      const { summary: s } = await runSoak({ profile: 'default', exporters, intervalSeconds, durationSeconds, warmupSeconds, out });
      points.push({
        intervalSeconds,
        scrapesPerSecond: exporters / intervalSeconds,
        samplesPerSecond: s.samplesPerSecond.mean,
        // µs/sample × samples/s: the summary's avgCores is rounded to 1 ms/s.
        cpuMsPerSecond: s.cpu.usPerSample === null ? s.cpu.avgCores * 1000 : (s.cpu.usPerSample * s.samplesPerSecond.mean) / 1000,
        agentMsPerSecond: s.telemetry.agentMsPerSecond,
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const idle = points[0]!;
  const busy = points.slice(1);
  const f = linearFit(
    busy.map((p) => p.scrapesPerSecond),
    busy.map((p) => p.cpuMsPerSecond),
  );
  const fit: FixedCostFit = { fixedMsPerSecond: idle.cpuMsPerSecond, interceptMsPerSecond: f.intercept, perScrapeUs: f.slope * 1000, r2: f.r2 };
  const at = busy
    .map((p) => `${Math.round(p.scrapesPerSecond)}/s: ${p.cpuMsPerSecond.toFixed(1)} ms/s = ${(((p.cpuMsPerSecond - idle.cpuMsPerSecond) / p.scrapesPerSecond) * 1000).toFixed(0)} µs/scrape`)
    .join(', ');
  const row: Row = {
    bench: 'engine',
    subject: 'engine child, ingester cached, fixed cost per second',
    input: `default profile fleet, ${exporters} targets at ${IDLE_INTERVAL_S}, ${intervals.join(', ')} s intervals, ${durationSeconds} s each`,
    note:
      `**fixed ${fit.fixedMsPerSecond.toFixed(1)} ms/s** (the engine idle with its ${exporters} loops armed, ${idle.samplesPerSecond.toFixed(0)} samples/s; ` +
      `the telemetry agent's own ${idle.agentMsPerSecond ?? 'n/a'} ms/s of it); per scrape of 200 samples above that: ${at}; ` +
      `least squares through those: ${fit.interceptMsPerSecond.toFixed(1)} ms/s + ${fit.perScrapeUs.toFixed(0)} µs/scrape (r² ${fit.r2.toFixed(3)})`,
  };
  return { points, fit, row };
}

async function main(): Promise<void> {
  const { val, num, usage } = scriptArgs('bench-fixed-cost');
  const intervalsSeconds = val('--intervals')?.split(',').map(Number);
  if (intervalsSeconds && (intervalsSeconds.length < 2 || intervalsSeconds.some((s) => !(s > 0)))) usage(`--intervals ${val('--intervals')}: two or more intervals in seconds, e.g. 5,20`);
  const { points, row } = await runFixedCostBench({ exporters: num('--exporters'), intervalsSeconds, durationSeconds: num('--duration') });
  for (const p of points) process.stderr.write(`${JSON.stringify(p)}\n`);
  process.stdout.write(markdownTable([row]) + '\n');
}

runIfMain(import.meta.url, 'bench-fixed-cost', main);
