import { writeSdFile, type TargetGroup } from '../fleet/sd.js';
import { checkOffer, type LoadDial } from './dial.js';

export interface SdDialOptions {
  /** Every target the fleet serves, in order (one group per exporter); kept in memory, the dial offers a prefix of it. */
  groups: readonly TargetGroup[];
  /** The file_sd file the system under test watches (the run directory's file_sd.json): rewritten whole, atomically. */
  fileSd?: string;
  /** Where `{http_sd}` is served from (the fleet's /sd, or run/sd-server.ts for --fleet shards): the list it serves from now on. */
  httpSd?: (groups: readonly TargetGroup[]) => void;
}

/**
 * The dial of a scraper that discovers its targets (Prometheus, VictoriaMetrics, an `exec:`
 * target given `{file_sd}` or `{http_sd}`): the first n targets of the full list, written to
 * file_sd (a temporary file beside it renamed over it, so the scraper never reads half a list)
 * and served at http_sd. Prometheus sees the rename through fsnotify; VictoriaMetrics only re-reads
 * the file every `-promscrape.fileSDCheckInterval` (run/target-kinds.ts sets 1 s for a ramp).
 * The scraper still needs its own time to act on it (docs/capacity.md, "How the load moves").
 */
export function sdDial(o: SdDialOptions): LoadDial {
  const all = o.groups;
  let offered = all.length;
  return {
    maxExporters: all.length,
    get offered() {
      return offered;
    },
    async set(n: number): Promise<void> {
      const groups = all.slice(0, checkOffer(n, all.length));
      if (o.fileSd) writeSdFile(o.fileSd, groups);
      o.httpSd?.(groups);
      offered = n;
    },
  };
}
