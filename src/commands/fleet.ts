import { PromsoakError } from '../common/errors.js';
import { makeOutDir } from '../common/out-dir.js';
import { checkCapacity } from '../fleet/capacity.js';
import { positiveInt } from '../common/options.js';
import { loadProfile } from '../profile/load.js';
import { defaultThreads, startFleet, type Fleet } from '../fleet/fleet.js';

export interface FleetCommandOptions {
  profile: string;
  port: number;
  exporters?: number;
  threads?: number;
  out: string;
  format?: 'negotiate' | 'text' | 'openmetrics';
  duration?: number;
}

/** `promsoak fleet`: serve the exporter fleet until SIGINT/SIGTERM (or --duration). */
export async function fleetCommand(o: FleetCommandOptions, log: (line: string) => void): Promise<void> {
  const profile = loadProfile(o.profile);
  if (o.exporters !== undefined) profile.exporters = positiveInt('--exporters', o.exporters);
  positiveInt('--threads', o.threads);
  if (o.format) profile.format = o.format;
  // Before the port is taken: a bad --out is refused with nothing started.
  if (o.out !== undefined) makeOutDir(o.out);
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65_535)) {
    throw new PromsoakError('PROMSOAK_USAGE', `--port must be an integer in 0..65535 (got ${o.port})`);
  }
  checkCapacity(profile, o.threads ?? defaultThreads());
  const fleet = await startFleet({ profile, port: o.port, threads: o.threads, outDir: o.out });
  log(readyLine(fleet, profile.name));
  await waitForStop(o.duration);
  await fleet.close();
  const s = fleet.stats;
  log(`promsoak fleet stopped: ${s.scrapes} scrapes served (${(s.bytes / 1e6).toFixed(1)} MB), ${s.errors} render errors${s.lastError ? ` (last: ${s.lastError})` : ''}, ${s.notFound} not found`);
}

export function readyLine(fleet: Fleet, name: string): string {
  const series = fleet.exporters * fleet.seriesPerExporter;
  return (
    `promsoak fleet ready: profile ${name}, ${fleet.exporters} exporters x ${fleet.seriesPerExporter} series = ${series} series ` +
    `at ${fleet.url}/exporters/<0..${fleet.exporters - 1}>/metrics; ` +
    (fleet.fileSd ? `file_sd ${fleet.fileSd}; ` : '') +
    `http_sd ${fleet.httpSd}; ${fleet.threads} render thread${fleet.threads === 1 ? '' : 's'}`
  );
}

/** Resolves on SIGINT, SIGTERM or after `seconds`. */
export function waitForStop(seconds?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      clearTimeout(timer);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    const timer = seconds !== undefined ? setTimeout(done, seconds * 1000) : undefined;
  });
}
