import { PromsoakError } from '../common/errors.js';

/**
 * What moves the offered load of a running soak (`promsoak capacity`): the system under test
 * stays up and is offered the first n of the fleet's exporters from now on. One mechanism per
 * way the load reaches it: the targets it watches (dial-sd.ts: file_sd, http_sd), the built-in
 * engine's targets (dial-engine.ts), the exporters the fleet pushes (dial-push.ts).
 */
export interface LoadDial {
  /** Exporters the fleet serves: the most a step can offer. */
  readonly maxExporters: number;
  /** Offer the first n of the fleet's exporters (targets) from now on; resolves once the change is handed over. */
  set(n: number): Promise<void>;
  /** The exporters offered now. */
  readonly offered: number;
}

/** What a soak's plan says of one exporter's load (`plan.meta` has these fields). */
export interface ExporterLoad {
  seriesPerExporter: number;
  intervalSeconds: number;
  /** Series the scraper adds of its own per scrape (up, scrape_duration_seconds, …): `plan.meta.syntheticPerScrape`. */
  syntheticPerScrape?: number;
}

/**
 * The samples per second n exporters offer once the change took: n × (series + the scraper's
 * own per scrape) ÷ interval, the `expected` of a soak's summary for n exporters. The runner
 * waits until frames show this rate before it measures a step.
 */
export function offeredSamplesPerSecond(n: number, load: ExporterLoad): number {
  return (n * (load.seriesPerExporter + (load.syntheticPerScrape ?? 0))) / load.intervalSeconds;
}

/** A step's exporter count checked against the fleet: a whole number from 0 to what it serves, else one line. */
export function checkOffer(n: number, maxExporters: number): number {
  if (!Number.isInteger(n) || n < 0 || n > maxExporters) {
    throw new PromsoakError('PROMSOAK_USAGE', `capacity: a step offering ${n} exporters; the fleet serves 0 to ${maxExporters}`);
  }
  return n;
}
