import { PromsoakError } from '../common/errors.js';
import { makeOutDir } from '../common/out-dir.js';
import { checkSize } from '../fleet/capacity.js';
import { port, positiveInt, seconds } from '../common/options.js';
import { loadProfile } from '../profile/load.js';
import { defaultThreads, MAX_RENDER_THREADS, startFleet, type Fleet } from '../fleet/fleet.js';
import { describeIds, parseShard } from '../fleet/shard.js';
import { isIP } from 'node:net';
import { visible } from '../common/terminal-text.js';

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
}

export const DEFAULT_LISTEN = '127.0.0.1';

/** `promsoak fleet`: serve the exporter fleet until SIGINT/SIGTERM (or --duration). */
export async function fleetCommand(o: FleetCommandOptions, log: (line: string) => void): Promise<void> {
  const profile = loadProfile(o.profile);
  positiveInt('--threads', o.threads, MAX_RENDER_THREADS);
  seconds('--duration', o.duration);
  if (o.format) profile.format = o.format;
  // Before the port is taken: a bad --out is refused with nothing started.
  if (o.out !== undefined) makeOutDir(o.out);
  port('--port', o.port);
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const listen = checkListen(o.listen);
  const advertise = checkAdvertise(o.advertise);
  const epochMs = o.epoch === undefined ? undefined : parseEpoch(o.epoch);
  checkSize(profile, { exporters: o.exporters, threads: o.threads ?? defaultThreads(), shard });
  const fleet = await startFleet({ profile, port: o.port, threads: o.threads, outDir: o.out, shard, host: listen, advertise, epochMs });
  log(readyLine(fleet, profile.name));
  await waitForStop(o.duration);
  await fleet.close();
  const s = fleet.stats;
  log(`promsoak fleet stopped: ${s.scrapes} scrapes served (${(s.bytes / 1e6).toFixed(1)} MB), ${s.errors} render errors${s.lastError ? ` (last: ${s.lastError})` : ''}, ${s.notFound} not found`);
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
    `http_sd ${fleet.httpSd}; stats ${fleet.url}/stats; metrics ${fleet.url}/metrics; ${fleet.threads} render thread${fleet.threads === 1 ? '' : 's'}` +
    listening(fleet)
  );
}

/** Said only when --listen chose something other than loopback's default: an explicit choice, shown as one. */
function listening(fleet: Fleet): string {
  if (fleet.host === DEFAULT_LISTEN) return '';
  const all = fleet.host === '0.0.0.0' || fleet.host === '::';
  const loopback = fleet.host === '::1' || fleet.host.startsWith('127.');
  const reach = all ? 'every interface: reachable from other hosts' : loopback ? 'loopback' : 'reachable from other hosts';
  return `; listening on ${fleet.host} as --listen chose (${reach})` + (fleet.advertise !== fleet.host ? `, targets advertised as ${fleet.advertise}` : '');
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
