import { PromsoakError } from '../common/errors.js';
import { makeOutDir } from '../common/out-dir.js';
import { checkSize } from '../fleet/capacity.js';
import { port, positiveInt, seconds } from '../common/options.js';
import { loadProfile } from '../profile/load.js';
import { defaultThreads, MAX_SERVING_THREADS, startFleet, type Fleet } from '../fleet/fleet.js';
import { describeIds, parseShard } from '../fleet/shard.js';
import { isIP } from 'node:net';
import { visible } from '../common/terminal-text.js';
import { usableCores } from '../fleet/cores.js';
import { pushOptions } from '../push/push-options.js';
import { pushingLine, pushSecondLine, pushSummaryLine } from '../push/push-lines.js';

export interface FleetCommandOptions {
  profile: string;
  port: number;
  exporters?: number;
  threads?: number;
  out: string;
  format?: 'negotiate' | 'text' | 'openmetrics';
  duration?: number;
  /** `i/n`: serve shard i of n (src/fleet/shard.ts). */
  shard?: string;
  /** The address to listen on; default 127.0.0.1. */
  listen?: string;
  /** The host /sd's targets carry; default: the listen address (hostname for 0.0.0.0 / ::). */
  advertise?: string;
  /** Render time 0: ms since 1970 or an ISO 8601 time; default: when the fleet starts. */
  epoch?: string;
  /** A connection leaving over 64 KiB unread this long is cut; default 30. */
  stallSeconds?: number;
  /** `remote-write` or `remote-write:2`: push the samples to --push-url as well (push/push-options.ts). */
  push?: string;
  pushUrl?: string;
  batch?: number;
  senders?: number;
  maxBacklog?: number;
  pushTimeout?: number;
}

export const DEFAULT_LISTEN = '127.0.0.1';

/** `promsoak fleet`: serve the exporter fleet until SIGINT/SIGTERM (or --duration). */
export async function fleetCommand(o: FleetCommandOptions, log: (line: string) => void): Promise<void> {
  const profile = loadProfile(o.profile);
  positiveInt('--threads', o.threads, MAX_SERVING_THREADS);
  checkThreads(o.threads);
  seconds('--duration', o.duration);
  seconds('--stall-seconds', o.stallSeconds);
  if (o.format) profile.format = o.format;
  // Before the port is taken: a bad --out is refused with nothing started.
  if (o.out !== undefined) makeOutDir(o.out);
  port('--port', o.port);
  const threads = o.threads ?? defaultThreads();
  if (o.port > 0 && o.port + threads > 65_535) {
    throw new PromsoakError('PROMSOAK_USAGE', `--port ${o.port} with ${threads} serving thread${threads === 1 ? '' : 's'}: ${threads === 1 ? `the serving thread listens on port ${o.port + 1}` : `the serving threads listen on ports ${o.port + 1}..${o.port + threads}`}, past 65535; pick a lower --port (0 picks free ones)`);
  }
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const listen = checkListen(o.listen);
  const advertise = checkAdvertise(o.advertise);
  const epochMs = o.epoch === undefined ? undefined : parseEpoch(o.epoch);
  checkSize(profile, { exporters: o.exporters, threads: o.threads ?? defaultThreads(), shard });
  const push = pushFlagsGiven(o) ? pushOptions({ ...o, push: o.push ?? '' }) : undefined;
  const fleet = await startFleet({ profile, port: o.port, threads: o.threads, outDir: o.out, shard, host: listen, advertise, epochMs, stallMs: o.stallSeconds === undefined ? undefined : o.stallSeconds * 1000, push });
  log(readyLine(fleet, profile.name));
  if (fleet.push) log(pushingLine(fleet.push.stats(), fleet.ids.length, fleet.seriesPerExporter, profile.scrapeIntervalSeconds));
  const progress = fleet.push ? setInterval(() => log(pushSecondLine(fleet.push!.stats())), 1000).unref() : undefined;
  await waitForStop(o.duration);
  clearInterval(progress);
  await fleet.close();
  const s = fleet.stats;
  log(`promsoak fleet stopped: ${s.scrapes} scrapes served (${(s.bytes / 1e6).toFixed(1)} MB), ${s.errors} render errors${s.lastError ? ` (last: ${s.lastError})` : ''}, ${s.notFound} not found`);
  if (fleet.push) {
    const p = fleet.push.stats();
    log(pushSummaryLine(p));
    for (const n of p.notes) log(`  ${visible(n)}`);
    if (p.totals.backlog > 0 || p.totals.skipped > 0 || p.totals.rejected > 0 || p.totals.droppedBacklog > 0 || p.totals.droppedAtStop > 0 || p.totals.acknowledged === 0) process.exitCode = 1;
  }
}

/** Any push flag without --push is a mistake worth one line, not a silent scrape-only fleet. */
function pushFlagsGiven(o: FleetCommandOptions): boolean {
  if (o.push !== undefined) return true;
  const stray = (['pushUrl', 'batch', 'senders', 'maxBacklog', 'pushTimeout'] as const).find((k) => o[k] !== undefined);
  if (stray) throw new PromsoakError('PROMSOAK_USAGE', `--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is a push flag: add --push remote-write (or remote-write:2)`);
  return false;
}

export function readyLine(fleet: Fleet, name: string): string {
  const served = fleet.ids.length;
  const series = served * fleet.seriesPerExporter;
  const which = fleet.shard
    ? `shard ${fleet.shard.index}/${fleet.shard.count}: ${served} of ${fleet.exporters} exporters (ids ≡ ${fleet.shard.index} mod ${fleet.shard.count})`
    : `${fleet.exporters} exporters`;
  return (
    `promsoak fleet ready: profile ${visible(name)}, ${which} x ${fleet.seriesPerExporter} series = ${series} series ` +
    `at ${fleet.url}/exporters/${describeIds(fleet.exporters, fleet.shard)}/metrics; ` +
    (fleet.fileSd ? `file_sd ${fleet.fileSd}; ` : '') +
    `http_sd ${fleet.httpSd}; stats ${fleet.url}/stats; metrics ${fleet.url}/metrics; ${servingThreads(fleet.ports)}` +
    listening(fleet)
  );
}

/** `2 serving threads (ports 9401, 9402)`: where the targets are (eight ports at most, then the range). */
function servingThreads(ports: readonly number[]): string {
  const n = ports.length;
  const list = n <= 8 ? ports.join(', ') : `${ports.slice(0, 8).join(', ')} … ${ports[n - 1]}`;
  return `${n} serving thread${n === 1 ? '' : 's'} (port${n === 1 ? '' : 's'} ${list})`;
}

/** Said only when --listen chose something other than loopback's default: an explicit choice, shown as one. */
function listening(fleet: Fleet): string {
  if (fleet.host === DEFAULT_LISTEN) return '';
  const all = fleet.host === '0.0.0.0' || fleet.host === '::';
  const loopback = fleet.host === '::1' || fleet.host.startsWith('127.');
  const reach = all ? 'every interface: reachable from other hosts' : loopback ? 'loopback' : 'reachable from other hosts';
  return `; listening on ${fleet.host} as --listen chose (${reach})` + (fleet.advertise !== fleet.host ? `, targets advertised as ${fleet.advertise}` : '');
}

/** More serving threads than cores would only take turns on them: refused in one line. */
function checkThreads(threads: number | undefined): void {
  const cores = usableCores();
  if (threads !== undefined && threads > Math.max(1, Math.floor(cores))) {
    throw new PromsoakError('PROMSOAK_USAGE', `--threads ${threads} is more than the ${fmtCores(cores)} this process may use (its CPU affinity and any cgroup quota): serving threads past the cores only take turns; use at most ${Math.max(1, Math.floor(cores))}`);
  }
}

function fmtCores(c: number): string {
  return Number.isInteger(c) ? `${c} core${c === 1 ? '' : 's'}` : `${c.toFixed(2)} cores`;
}

function checkListen(listen: string | undefined): string {
  if (listen === undefined) return DEFAULT_LISTEN;
  if (isIP(listen) === 0) throw new PromsoakError('PROMSOAK_USAGE', `--listen must be an IP address of this machine, 0.0.0.0 or :: for every interface (got "${listen}")`);
  return listen;
}

/** A host name or IP for targets: nothing that could break `host:port` or a URL. */
function checkAdvertise(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) {
    throw new PromsoakError('PROMSOAK_USAGE', `--advertise must be a host name or an IP address (got "${host}")`);
  }
  return host;
}

/** `--epoch`: ms since 1970, or an ISO 8601 time; not in the future (values would run backwards from it). */
export function parseEpoch(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new PromsoakError('PROMSOAK_USAGE', `--epoch must be ms since 1970 or an ISO 8601 time (got "${text}")`);
  if (ms > Date.now()) throw new PromsoakError('PROMSOAK_USAGE', `--epoch ${text} is in the future: render time would be negative`);
  return ms;
}

/** Resolves on SIGINT, SIGTERM or after `duration` seconds (checked: a timer past ~24.8 days would fire at once). */
export function waitForStop(duration?: number): Promise<void> {
  seconds('--duration', duration);
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      clearTimeout(timer);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    const timer = duration !== undefined ? setTimeout(done, duration * 1000) : undefined;
  });
}
