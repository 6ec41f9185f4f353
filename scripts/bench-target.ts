import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { mean } from '../src/analysis/stats.js';
import { planTargetLaunch } from '../src/run/target-kinds.js';
import { launchProcess, resolveBinary } from '../src/run/target-process.js';
import { parseTarget } from '../src/run/target-spec.js';
import { readProc, type ProcSample } from '../src/telemetry/proc.js';
import { fetchMetrics, MetricsSnapshot } from '../src/telemetry/target-metrics.js';
import { rangeText, type Row } from './lib/rows.js';

/**
 * What promsoak's once-a-second meta-scrape of a target's /metrics costs the target: Debian's
 * Prometheus scraping the default fleet at 1 s (100 exporters: 20k samples/s), its CPU from
 * /proc over windows with and without the meta-scrape, interleaved; and, for a figure free of
 * the windows' noise, its CPU over a burst of back-to-back meta-scrapes against its rate
 * without. Rows are empty (a visible skip) when prometheus is not installed.
 */
export async function runTargetBench(pairs = 6, windowSeconds = 10, burst = 500, exporters = 100): Promise<Row[]> {
  try {
    resolveBinary('prometheus', 'prometheus');
  } catch {
    process.stderr.write('bench: target skipped: Debian prometheus is not installed\n');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-bench-target-'));
  const profile = { ...loadProfile('default'), exporters, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 };
  const fleet = await startFleet({ profile, outDir: dir });
  const spec = parseTarget('prometheus');
  if (spec.kind !== 'prometheus') throw new Error('unreachable');
  const launch = await planTargetLaunch(spec, { dir, fileSd: fleet.fileSd!, httpSd: fleet.httpSd, intervalSeconds: 1, timeoutSeconds: 1 });
  const proc = launchProcess({ argv: launch.argv!, env: {}, cpus: null, stdoutFile: join(dir, 'out.log'), stderrFile: join(dir, 'err.log'), onStderr: () => {} });
  const metaScrape = async (): Promise<void> => void MetricsSnapshot.parse(await fetchMetrics(launch.metricsUrl, 2000));
  try {
    // Up, and past its first seconds of start-up work.
    for (let i = 0; ; i++) {
      try {
        await metaScrape();
        break;
      } catch (e) {
        if (i > 150) throw e;
        await sleep(200);
      }
    }
    await sleep(15_000);
    const cores = (a: ProcSample, b: ProcSample): number => (b.userSeconds + b.systemSeconds - a.userSeconds - a.systemSeconds) / ((b.atMs - a.atMs) / 1000);
    const withScrape: number[] = [];
    const without: number[] = [];
    for (let p = 0; p < pairs; p++) {
      for (const on of [false, true]) {
        const a = readProc(proc.pid)!;
        for (let s = 0; s < windowSeconds; s++) {
          if (on) await metaScrape();
          await sleep(1000 - (Date.now() % 1000));
        }
        (on ? withScrape : without).push(cores(a, readProc(proc.pid)!));
      }
    }
    const base = mean(without);
    const a = readProc(proc.pid)!;
    for (let i = 0; i < burst; i++) await metaScrape();
    const b = readProc(proc.pid)!;
    const burstSeconds = (b.atMs - a.atMs) / 1000;
    const perScrapeMs = ((cores(a, b) - base) * burstSeconds * 1000) / burst;
    const withMean = mean(withScrape);
    return [
      {
        bench: 'target',
        subject: 'meta-scrape of Prometheus 2.42, burst',
        input: `default profile, ${exporters} exporters at 1 s (${exporters / 5}k samples/s), ${burst} back-to-back`,
        note: `**${perScrapeMs.toFixed(2)} ms** of Prometheus's CPU per meta-scrape: **${((perScrapeMs / 1000 / base) * 100).toFixed(2)} %** of its ${base.toFixed(3)} cores at this load, once a second`,
      },
      {
        bench: 'target',
        subject: 'Prometheus without / with the meta-scrape',
        input: `${exporters} exporters at 1 s, ${pairs}×${windowSeconds} s windows interleaved`,
        note: `**${(((withMean - base) / base) * 100).toFixed(1)} %** of Prometheus's CPU (${((withMean - base) * 1000).toFixed(1)} ms/s): ${base.toFixed(3)} cores without (${rangeText(without)}), ${withMean.toFixed(3)} with (${rangeText(withScrape)}), means; ${Math.max(...without) < Math.min(...withScrape) ? 'the ranges do not overlap' : 'within the windows\' spread'}`,
      },
    ];
  } finally {
    await proc.stop();
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
