import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../../src/fleet/fleet.js';
import { loadProfile } from '../../src/profile/load.js';
import { startEngineChild } from '../../src/run/engine-child.js';
import type { EngineStats } from '../../src/protocol/engine.js';
import { MACHINE_CORES, pinSelf } from '../../src/run/engine-launch.js';

/** One engine child of a run: its Node flags, environment and ingester (default cached). */
export interface EngineVariant {
  name: string;
  execArgv: string[];
  env?: NodeJS.ProcessEnv;
  ingester?: string;
}

export interface EndToEndRow {
  ingester: string;
  seconds: number;
  targets: number;
  samplesPerSecond: number;
  cpuMicrosPerSample: number;
  /** Engine CPU as a share of one core. */
  cpuCores: number;
  scrapesOk: number;
  scrapesFailed: number;
  scrapesSkipped: number;
  series: number;
  headBytes: number;
  rssBytes: number;
  bodyBufferBytes: number;
  bodyBytes: number;
  /**
   * The main thread's CPU per sample (µs), read from /proc/<pid>/task/<pid>/schedstat over about
   * the same window (pairedEngines); undefined where there is no /proc.
   */
  mainCpuMicrosPerSample?: number;
}

/**
 * A row from an engine child's stats frames, measured from the first frame after `warm` seconds
 * (default one full interval + 2 s: every target scraped, series created).
 */
export function endToEndRow(ingester: string, frames: readonly EngineStats[], intervalSeconds: number, warm = intervalSeconds + 2): EndToEndRow {
  const from = frames.find((f) => f.uptimeSeconds >= warm) ?? frames[0]!;
  const to = frames.at(-1)!;
  const dt = (to.timeMs - from.timeMs) / 1000;
  const samples = to.samples - from.samples;
  const cpu = to.cpuUserMicros + to.cpuSystemMicros - from.cpuUserMicros - from.cpuSystemMicros;
  return {
    ingester,
    seconds: dt,
    targets: to.targets,
    samplesPerSecond: samples / dt,
    cpuMicrosPerSample: cpu / samples,
    cpuCores: cpu / 1e6 / dt,
    scrapesOk: to.scrapesOk - from.scrapesOk,
    scrapesFailed: to.scrapesFailed - from.scrapesFailed,
    scrapesSkipped: to.scrapesSkipped - from.scrapesSkipped,
    series: to.series,
    headBytes: to.headBytes,
    rssBytes: to.rssBytes,
    bodyBufferBytes: to.bodyBufferBytes,
    bodyBytes: to.bodyBytes,
  };
}


/**
 * Engine children side by side, at the same time, scraping one fleet (default profile): one
 * per variant, each its own process and its own copy of every target's series; with one
 * variant, the end-to-end engine bench (bench-engine.ts).
 *
 * Why at the same time rather than one after the other: on this machine one engine's CPU per
 * sample moves ±15 % from one run to the next (where the scheduler puts it and the fleet's
 * threads, what else wakes), which buries a difference of a few per cent between variants run
 * in turn. Run together, both see the same seconds of the same machine; their difference within
 * a round is what the variant costs, and the rounds show how steady that difference is. The
 * fleet serves both (its load doubles: it is not what is measured).
 */
export async function pairedEngines(o: {
  seconds: number;
  variants: EngineVariant[];
  profile?: string;
  intervalSeconds?: number;
  threads?: number;
  /**
   * Seconds before the measured window (default one interval + 2 s). V8 still compiles and
   * marks for some 20 s after start-up: a comparison of a few per cent wants them over.
   */
  warmupSeconds?: number;
  /**
   * Every engine on these CPUs (taskset -c) and the fleet (this process) on the others: the
   * engines then share their cores only with each other, the same for each, rather than with
   * whichever fleet thread the scheduler put beside one of them.
   */
  engineCpus?: string;
}): Promise<EndToEndRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-bench-pair-'));
  const profile = loadProfile(o.profile ?? 'default');
  const interval = o.intervalSeconds ?? profile.scrapeIntervalSeconds;
  const pinned = o.engineCpus !== undefined ? planPin(o.engineCpus) : undefined;
  if (pinned) pinSelf(pinned.fleet);
  const fleet = await startFleet({ profile, threads: o.threads, outDir: dir });
  try {
    const frames = o.variants.map((): EngineStats[] => []);
    const engines = await Promise.all(
      o.variants.map((v, i) =>
        startEngineChild({
          options: { targetsFile: i === 0 ? fleet.fileSd! : shiftedPhases(fleet.fileSd!, i), intervalSeconds: interval, ingester: v.ingester ?? 'cached' },
          execArgv: v.execArgv,
          env: v.env ? { ...process.env, ...v.env } : process.env,
          onStats: (s) => frames[i]!.push(s),
          prefix: pinned ? ['taskset', '-c', o.engineCpus!] : undefined,
        }),
      ),
    );
    const warm = o.warmupSeconds ?? interval + 2;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, warm * 1000));
    const from = engines.map((e, i) => ({ ns: mainThreadNs(e.process.pid), samples: frames[i]!.at(-1)?.samples ?? 0 }));
    await new Promise((r) => setTimeout(r, Math.max(0, o.seconds * 1000 - (Date.now() - t0))));
    const to = engines.map((e, i) => ({ ns: mainThreadNs(e.process.pid), samples: frames[i]!.at(-1)?.samples ?? 0 }));
    await Promise.all(engines.map((e) => e.stop()));
    return o.variants.map((v, i) => {
      const row = endToEndRow(v.name, frames[i]!, interval, warm);
      const [a, b] = [from[i]!, to[i]!];
      if (a.ns !== undefined && b.ns !== undefined && b.samples > a.samples) row.mainCpuMicrosPerSample = (b.ns - a.ns) / 1000 / (b.samples - a.samples);
      return row;
    });
  } finally {
    await fleet.close();
    if (pinned) pinSelf(pinned.all);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The fleet's file_sd with `?engine=<i>` on every metrics path, for the i-th engine: the same
 * exporters, but other target ids, so other scrape phases (a phase hashes the id). With one
 * file, two engines scraped every target in the same millisecond, on one core, in lockstep:
 * which of them waited for the other then decided its CPU, and two identical engines read
 * −7 to +15 % apart from round to round.
 */
function shiftedPhases(fileSd: string, i: number): string {
  const groups = JSON.parse(readFileSync(fileSd, 'utf8')) as { targets: string[]; labels?: Record<string, string> }[];
  for (const g of groups) {
    const path = g.labels?.__metrics_path__ ?? '/metrics';
    g.labels = { ...g.labels, __metrics_path__: `${path}${path.includes('?') ? '&' : '?'}engine=${i}` };
  }
  const out = fileSd.replace(/\.json$/, '') + `-engine${i}.json`;
  writeFileSync(out, JSON.stringify(groups));
  return out;
}

/** A process's main thread's time on a CPU so far, ns (/proc/<pid>/task/<pid>/schedstat); undefined without /proc. */
function mainThreadNs(pid: number | undefined): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** The fleet's CPUs: every CPU of the machine but the engines'. */
function planPin(engineCpus: string): { fleet: string; all: string } {
  const engines = new Set(cpuList(engineCpus));
  const rest = Array.from({ length: MACHINE_CORES }, (_, i) => i).filter((c) => !engines.has(c));
  if (rest.length === 0 || engines.size === 0) throw new Error(`engineCpus ${engineCpus}: leaves no CPU for the fleet on ${MACHINE_CORES} cores`);
  return { fleet: rest.join(','), all: `0-${MACHINE_CORES - 1}` };
}

/** "0-2,5" → [0, 1, 2, 5]. */
function cpuList(s: string): number[] {
  return s.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}
