/**
 * What the fleet costs when it is scraped the way a scraper scrapes (issue #28: the load
 * generator must cost a tenth of what it loads): one keep-alive connection per exporter, each
 * exporter once per interval. For each driver, exporter count and interval, a `promsoak fleet`
 * pinned to its own core is scraped by a driver pinned to the other:
 * - `prometheus`: Debian's Prometheus 2.42 over the fleet's file_sd (scrape_timeout = interval);
 * - `conns`: scripts/lib/conns-driver.ts, a raw node:net scraper with as many connections.
 * After a warmup (≥ 2 intervals and every target scraped once) the fleet's CPU (all its threads:
 * /proc/<pid>/stat, user and system) and the scrapes it served (/stats deltas) over a window give
 * the fleet's µs of CPU per scrape and per sample; the driver's own CPU is measured too.
 *
 * `node dist/scripts/bench-fleet-scrapers.js [--quick] [--exporters 1000,2500,5000] [--intervals 5,1]
 *   [--drivers prometheus,conns] [--threads 1] [--window 20] [--fleet-cpus <last core>] [--driver-cpus 0]`
 *
 * The fleet is driven only through its CLI, its file_sd.json and /stats: its serving path may
 * change (several ports) and this bench keeps reading what it publishes.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { PromsoakError } from '../src/common/errors.js';
import { readProc, type ProcSample } from '../src/telemetry/proc.js';
import { binaryVersion, resolveBinary } from '../src/run/target-process.js';
import type { FleetStats } from '../src/protocol/fleet-stats.js';
import { BenchChildren } from './lib/bench-children.js';
import { startConnsDriver, type ConnsDriver } from './lib/conns-driver-process.js';
import type { DriverStats } from './lib/conns-driver.js';
import { startFleetChild } from './lib/fleet-child.js';
import { startPrometheus, type PrometheusChild } from './lib/prometheus-child.js';
import { markdownTable, type Row } from './lib/rows.js';
import { runIfMain, scriptArgs } from './lib/script-cli.js';

export type DriverKind = 'prometheus' | 'conns';
export const DRIVERS: readonly DriverKind[] = ['prometheus', 'conns'];

export interface FleetScraperOptions {
  /** Fleet profile (default `default`). */
  profile?: string;
  exporters?: number[];
  intervals?: number[];
  drivers?: DriverKind[];
  /** The fleet's --threads (default 1). */
  threads?: number;
  /** The measured window, seconds (default 20). */
  windowSeconds?: number;
  /** taskset CPU lists: the fleet's (default the last core) and the driver's (default 0). */
  fleetCpus?: string;
  driverCpus?: string;
  /** How long past 2 intervals the warmup waits for every target to be scraped (default 60 s). */
  warmupLimitSeconds?: number;
}

/** One (driver, exporters, interval) case, measured. */
export interface FleetScraperMeasurement {
  driver: DriverKind;
  driverName: string;
  exporters: number;
  intervalSeconds: number;
  threads: number;
  profile: string;
  seriesPerExporter: number;
  windowSeconds: number;
  /** Targets scraped at least once when the window began (all of them unless the warmup gave up). */
  warmedTargets: number;
  fleet: { pid: number; cores: number; systemShare: number; scrapes: number; scrapesPerSecond: number; usPerScrape: number; usPerSample: number; mbPerSecond: number; notFound: number; renderErrors: number };
  offeredPerSecond: number;
  driverPid: number;
  /** The driver's CPU over the window, in cores (conns: its own report; prometheus: /proc). */
  driverCores: number;
  /** conns: whole 2xx responses and failures in the window. */
  responses: number | null;
  failures: number | null;
  lastFailure: string | null;
  /** conns: scrapes sent over 100 ms late (the driver behind). */
  late: number | null;
  /** Targets up at the end (prometheus: sum(up)). */
  targetsUp: number | null;
  /** conns: p99 of the window's responses; prometheus: p99 over targets of their last scrape_duration_seconds. */
  p99Ms: number;
}

/** A process's CPU at or above this many cores is saturated (one core pinned). */
const SATURATED_CORES = 0.9;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measureFleetScrapers(o: FleetScraperOptions = {}): Promise<FleetScraperMeasurement[]> {
  const drivers = o.drivers ?? [...DRIVERS];
  const prometheus = drivers.includes('prometheus') ? resolveBinary('prometheus', 'prometheus') : undefined;
  const out: FleetScraperMeasurement[] = [];
  const children = new BenchChildren();
  try {
    for (const driver of drivers) {
      for (const exporters of o.exporters ?? [1000, 2500, 5000]) {
        for (const intervalSeconds of o.intervals ?? [5, 1]) {
          process.stderr.write(`bench: fleet-scrapers: ${driver}, ${exporters} exporters every ${intervalSeconds} s…\n`);
          out.push(await measureCase(children, { ...o, driver, exporters, intervalSeconds, prometheus }));
        }
      }
    }
  } finally {
    await children.close();
  }
  return out;
}

interface Case extends Omit<FleetScraperOptions, 'exporters' | 'intervals' | 'drivers'> {
  driver: DriverKind;
  exporters: number;
  intervalSeconds: number;
  prometheus: string | undefined;
}

interface Sample {
  fleetProc: ProcSample;
  stats: FleetStats;
  driver: DriverStats | ProcSample;
}

async function measureCase(children: BenchChildren, c: Case): Promise<FleetScraperMeasurement> {
  const profile = c.profile ?? 'default';
  const threads = c.threads ?? 1;
  const windowSeconds = c.windowSeconds ?? 20;
  const warmupLimit = c.warmupLimitSeconds ?? 60;
  const lastCore = String(Math.max(0, cpus().length - 1));
  const dir = children.scratch('promsoak-bench-scrapers-');
  try {
    // Bounded: the fleet and the driver stop themselves well after the case should have ended.
    const maxSeconds = 2 * c.intervalSeconds + warmupLimit + windowSeconds + 120;
    const fleet = await startFleetChild(children, { profile, exporters: c.exporters, threads, out: join(dir, 'fleet'), cpus: c.fleetCpus ?? lastCore, maxSeconds });
    const first = await fleet.stats();
    const fleetPid = first.fleet.pid;
    const driverCpus = c.driverCpus ?? '0';
    const conns = c.driver === 'conns' ? await startConnsDriver(children, { fileSd: fleet.fileSd, intervalSeconds: c.intervalSeconds, cpus: driverCpus, maxSeconds }) : undefined;
    const prom = c.driver === 'prometheus' ? await startPrometheus(children, { binary: c.prometheus!, fileSd: fleet.fileSd, intervalSeconds: c.intervalSeconds, dir, cpus: driverCpus }) : undefined;
    const driverPid = (conns?.child ?? prom!.child).pid;

    // Warmup: two intervals at least, and until every target has been scraped once (or the limit).
    const scraped = async (): Promise<number> => (conns ? (await conns.stats()).answeredTargets : (await prom!.query('count(up{job="promsoak"})')) || 0);
    const t0 = Date.now();
    let warmedTargets = 0;
    for (;;) {
      await sleep(Math.min(1000, c.intervalSeconds * 500));
      const elapsed = (Date.now() - t0) / 1000;
      if (elapsed < 2 * c.intervalSeconds) continue;
      warmedTargets = await scraped();
      if (warmedTargets >= c.exporters || elapsed > 2 * c.intervalSeconds + warmupLimit) break;
    }

    const sample = async (): Promise<Sample> => {
      const fleetProc = readProc(fleetPid);
      const stats = await fleet.stats();
      const driver = conns ? await conns.stats(true) : readProc(driverPid);
      if (!fleetProc) throw new Error(`the fleet (pid ${fleetPid}) is gone: ${fleet.child.tail().slice(-500)}`);
      if (!driver) throw new Error(`prometheus (pid ${driverPid}) is gone: ${prom!.child.tail().slice(-500)}`);
      return { fleetProc, stats, driver };
    };
    const a = await sample();
    await sleep(windowSeconds * 1000);
    const b = await sample();
    const extra = prom ? await prometheusFigures(prom) : undefined;
    return figures(c, { profile, threads, seriesPerExporter: first.profile.seriesPerExporter, warmedTargets, driverTail: (conns?.child ?? prom!.child).tail, driverPid, conns, extra }, a, b);
  } finally {
    await children.stopAll();
  }
}

async function prometheusFigures(prom: PrometheusChild): Promise<{ up: number; p99Ms: number }> {
  const up = await prom.query('sum(up{job="promsoak"})');
  const p99 = await prom.query('quantile(0.99, scrape_duration_seconds{job="promsoak"})');
  return { up, p99Ms: p99 * 1000 };
}

function figures(
  c: Case,
  k: { profile: string; threads: number; seriesPerExporter: number; warmedTargets: number; driverTail: () => string; driverPid: number; conns?: ConnsDriver; extra?: { up: number; p99Ms: number } },
  a: Sample,
  b: Sample,
): FleetScraperMeasurement {
  const wall = (b.fleetProc.atMs - a.fleetProc.atMs) / 1000;
  const user = b.fleetProc.userSeconds - a.fleetProc.userSeconds;
  const system = b.fleetProc.systemSeconds - a.fleetProc.systemSeconds;
  const scrapes = b.stats.totals.scrapes - a.stats.totals.scrapes;
  const statsWall = (b.stats.atMs - a.stats.atMs) / 1000;
  if (scrapes <= 0) {
    throw new Error(`fleet-scrapers: ${c.driver}, ${c.exporters} exporters every ${c.intervalSeconds} s: the fleet served no scrapes in the ${wall.toFixed(1)} s window (${c.driver}: ${k.driverTail().slice(-300).trim()})`);
  }
  const cpuUs = (user + system) * 1e6;
  let driverCores: number;
  let responses: number | null = null;
  let failures: number | null = null;
  let late: number | null = null;
  let lastFailure: string | null = null;
  let p99Ms = k.extra?.p99Ms ?? NaN;
  if (k.conns) {
    const da = a.driver as DriverStats;
    const db = b.driver as DriverStats;
    driverCores = (db.cpuUserUs + db.cpuSystemUs - da.cpuUserUs - da.cpuSystemUs) / 1e3 / (db.atMs - da.atMs);
    responses = db.responses - da.responses;
    failures = db.failures - da.failures;
    late = db.late - da.late;
    lastFailure = failures > 0 ? db.lastFailure : null;
    p99Ms = db.latency.p99Us / 1000;
  } else {
    const pa = a.driver as ProcSample;
    const pb = b.driver as ProcSample;
    driverCores = (pb.userSeconds + pb.systemSeconds - pa.userSeconds - pa.systemSeconds) / ((pb.atMs - pa.atMs) / 1000);
  }
  return {
    driver: c.driver,
    driverName: c.driver === 'prometheus' ? `prometheus ${prometheusVersion(c.prometheus!)}` : `${c.exporters} connections (bench driver)`,
    exporters: c.exporters,
    intervalSeconds: c.intervalSeconds,
    threads: k.threads,
    profile: k.profile,
    seriesPerExporter: k.seriesPerExporter,
    windowSeconds: wall,
    warmedTargets: k.warmedTargets,
    fleet: {
      pid: b.stats.fleet.pid,
      cores: (user + system) / wall,
      systemShare: user + system > 0 ? system / (user + system) : NaN,
      scrapes,
      scrapesPerSecond: scrapes / statsWall,
      usPerScrape: cpuUs / scrapes,
      usPerSample: cpuUs / scrapes / k.seriesPerExporter,
      mbPerSecond: (b.stats.totals.bytes - a.stats.totals.bytes) / statsWall / 1e6,
      notFound: b.stats.totals.notFound - a.stats.totals.notFound,
      renderErrors: b.stats.totals.renderErrors - a.stats.totals.renderErrors,
    },
    offeredPerSecond: c.exporters / c.intervalSeconds,
    driverPid: k.driverPid,
    driverCores,
    responses,
    failures,
    lastFailure,
    late,
    targetsUp: k.extra ? k.extra.up : null,
    p99Ms,
  };
}

/** `2.42` from `prometheus, version 2.42.0+ds (…)`; `?` when it does not say. */
function prometheusVersion(binary: string): string {
  return /version (\d+\.\d+)/.exec(binaryVersion(binary) ?? '')?.[1] ?? '?';
}

export function fleetScraperRow(m: FleetScraperMeasurement): Row {
  const f = m.fleet;
  const short = f.scrapesPerSecond < 0.95 * m.offeredPerSecond;
  const driverLabel = m.driver === 'prometheus' ? 'prometheus' : 'driver';
  const warnings: string[] = [];
  if (m.warmedTargets < m.exporters) warnings.push(`**only ${m.warmedTargets} of ${m.exporters} targets scraped in the warmup**`);
  if (m.driverCores >= SATURATED_CORES) warnings.push(`**${driverLabel} saturated** (≥ ${SATURATED_CORES} core${short ? ': the offered rate is not reached' : ''})`);
  if (f.cores >= SATURATED_CORES) warnings.push(`**fleet saturated** (≥ ${SATURATED_CORES} core on its pinned core)`);
  if (short && !warnings.some((w) => w.includes('saturated'))) warnings.push(`**short of the offered rate**`);
  if (m.failures) warnings.push(`**${m.failures} failed scrapes** (last: ${m.lastFailure})`);
  if (m.targetsUp !== null && m.targetsUp < m.exporters) warnings.push(`**${m.targetsUp} of ${m.exporters} targets up**`);
  if (f.notFound || f.renderErrors) warnings.push(`**${f.notFound} not found, ${f.renderErrors} render errors**`);
  if (m.late) warnings.push(`${m.late} scrapes sent > 100 ms late`);
  const p99 = m.driver === 'prometheus' ? `p99 ${m.p99Ms.toFixed(1)} ms (targets' last scrape_duration_seconds)` : `p99 ${m.p99Ms.toFixed(1)} ms`;
  return {
    bench: 'fleet-scrapers',
    subject: `promsoak fleet (${m.threads} serving thread${m.threads === 1 ? '' : 's'}) scraped by ${m.driverName}`,
    input: `${m.profile} profile, ${m.exporters} exporters × ${m.seriesPerExporter} series, every ${m.intervalSeconds} s`,
    nsPerSample: f.usPerSample * 1000,
    mbPerSecond: f.mbPerSecond,
    note:
      `**${f.usPerScrape.toFixed(0)} µs fleet CPU/scrape** (${f.usPerSample.toFixed(2)} µs/sample; ${(f.systemShare * 100).toFixed(0)}% system), ` +
      `fleet ${f.cores.toFixed(2)} cores at ${f.scrapesPerSecond.toFixed(0)} scrapes/s of ${m.offeredPerSecond.toFixed(0)} offered, ` +
      `${driverLabel} ${m.driverCores.toFixed(2)} cores, ${p99}, ${m.windowSeconds.toFixed(0)} s window` +
      (warnings.length ? `; ${warnings.join('; ')}` : ''),
  };
}

/** The bench's rows; the prometheus driver is skipped (said on stderr) when prometheus is not installed. */
export async function runFleetScraperBench(o: FleetScraperOptions = {}): Promise<Row[]> {
  let drivers = o.drivers ?? [...DRIVERS];
  if (drivers.includes('prometheus')) {
    try {
      resolveBinary('prometheus', 'prometheus');
    } catch {
      process.stderr.write('bench: fleet-scrapers: the prometheus driver skipped: Debian prometheus is not installed\n');
      drivers = drivers.filter((d) => d !== 'prometheus');
    }
  }
  if (drivers.length === 0) return [];
  return (await measureFleetScrapers({ ...o, drivers })).map(fleetScraperRow);
}

/** The quick and full sets of `npm run bench` (each for both drivers). */
export const FLEET_SCRAPER_SETS: Record<'quick' | 'full', Required<Pick<FleetScraperOptions, 'exporters' | 'intervals' | 'windowSeconds'>>> = {
  quick: { exporters: [1000, 2500], intervals: [5, 1], windowSeconds: 8 },
  full: { exporters: [1000, 2500, 5000], intervals: [5, 1], windowSeconds: 20 },
};

const CPU_LIST = /^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { val, usage } = scriptArgs('bench-fleet-scrapers', args);
  const set = args.includes('--quick') ? FLEET_SCRAPER_SETS.quick : FLEET_SCRAPER_SETS.full;
  const list = (name: string, fallback: readonly number[], ok: (n: number) => boolean, what: string): number[] => {
    const text = val(name);
    if (text === undefined) return [...fallback];
    const xs = text.split(',').map(Number);
    if (xs.length === 0 || !xs.every(ok)) usage(`${name} ${text}: a comma-separated list of ${what}`);
    return xs;
  };
  const exporters = list('--exporters', set.exporters, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, 'exporter counts from 1 to 10000');
  const intervals = list('--intervals', set.intervals, (n) => n >= 0.5 && n <= 300, 'intervals in seconds from 0.5 to 300');
  const [threads] = list('--threads', [1], (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'one thread count from 1 to 64');
  const [windowSeconds] = list('--window', [set.windowSeconds], (n) => n >= 1 && n <= 600, 'one window in seconds from 1 to 600');
  const drivers = (val('--drivers') ?? DRIVERS.join(',')).split(',');
  const badDriver = drivers.find((d) => !DRIVERS.includes(d as DriverKind));
  if (badDriver !== undefined) usage(`--drivers: no driver ${JSON.stringify(badDriver)} (drivers: ${DRIVERS.join(', ')})`);
  for (const name of ['--fleet-cpus', '--driver-cpus']) {
    const v = val(name);
    if (v !== undefined && !CPU_LIST.test(v)) usage(`${name} ${v}: a taskset CPU list such as 1 or 0-1`);
  }
  if (drivers.includes('prometheus') && val('--drivers') !== undefined) {
    // Asked for by name: a missing prometheus is an error, not a skip.
    try {
      resolveBinary('prometheus', 'prometheus');
    } catch {
      throw new PromsoakError('PROMSOAK_USAGE', '--drivers prometheus: "prometheus" is not installed or not on PATH (Debian: apt install prometheus)');
    }
  }
  const rows = await runFleetScraperBench({
    exporters,
    intervals,
    threads,
    windowSeconds,
    drivers: drivers as DriverKind[],
    fleetCpus: val('--fleet-cpus'),
    driverCpus: val('--driver-cpus'),
  });
  process.stdout.write(markdownTable(rows) + '\n');
}

runIfMain(import.meta.url, 'bench-fleet-scrapers', main);
