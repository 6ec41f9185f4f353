/**
 * A fleet's `/stats` (JSON over HTTP, from `promsoak fleet` on this or another host): what a
 * coordinator reads from each fleet shard to check they serve one fleet together (shard,
 * profile digest) and to tell whether a shortfall was the fleet's (its CPU, its render
 * queue). Versioned: a reader checks `schemaVersion` (isFleetStats).
 */
export const FLEET_STATS_SCHEMA_VERSION = 1;

/** Counts of one fleet: cumulative since it started (`totals`) or for one second (`lastSecond`). */
export interface FleetCounts {
  /** Scrapes answered with a whole body (flushed to the socket). */
  scrapes: number;
  /** Body bytes of those scrapes. */
  bytes: number;
  /** Scrapes whose render failed (HTTP 500). */
  renderErrors: number;
  /** Requests for a path that is not this fleet's (404): another shard's exporter, a typo. */
  notFound: number;
  /** Scrapes answered with an injected fault (the profile's `faults`). */
  faults: number;
}

export interface FleetStats {
  schemaVersion: typeof FLEET_STATS_SCHEMA_VERSION;
  /** When this was taken, ms since the epoch. */
  atMs: number;
  fleet: {
    pid: number;
    /** os.hostname(): a pod's name on Kubernetes. */
    host: string;
    /** promsoak's version. */
    version: string;
    node: string;
    /** ms since the epoch. */
    startedAtMs: number;
    /** Render time 0 (ms since the epoch): shards with the same one serve the same bodies at the same moment. */
    epochMs: number;
    /** Base URL of this fleet as its targets are advertised (`/sd`). */
    url: string;
    /** Render threads. */
    threads: number;
    /** Cores this process may use (the CPU affinity, and a cgroup CPU quota where one is set). */
    cores: number;
  };
  profile: {
    name: string;
    /** `sha256:<hex>` of the resolved profile (src/profile/digest.ts): shards of one fleet have the same. */
    digest: string;
    /** The whole fleet's exporters, every shard's together. */
    exporters: number;
    seriesPerExporter: number;
    scrapeIntervalSeconds: number;
  };
  /** `{index, count}` of `--shard index/count`; null for a fleet that serves every exporter. */
  shard: { index: number; count: number } | null;
  /** Exporters this fleet serves (its shard's). */
  exporters: number;
  /** Render tasks waiting for a thread now. */
  queueDepth: number;
  totals: FleetCounts & {
    /** CPU time of the fleet's process (HTTP front and render threads), seconds. */
    cpuSeconds: number;
    /** Whole seconds measured (the fleet's 1 s ticks) and how many of them had render tasks waiting. */
    seconds: number;
    queuedSeconds: number;
    /**
     * Connections the fleet cut off: more pipelined requests unanswered than it allows, or a
     * response left unread for long (fleet/connection-queue.ts). Absent from older fleets.
     */
    connectionsCut?: number;
  };
  /** The last whole second the fleet measured; null until its first second has passed. */
  lastSecond:
    | (FleetCounts & {
        startMs: number;
        endMs: number;
        /** CPU of the fleet's process in that second, in cores. */
        cpuCores: number;
        /** The most render tasks seen waiting for a thread in that second. */
        queueDepthMax: number;
      })
    | null;
}

/** A shallow check of a `/stats` body from the network before trusting its fields. */
export function isFleetStats(x: unknown): x is FleetStats {
  const s = x as FleetStats;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.schemaVersion === FLEET_STATS_SCHEMA_VERSION &&
    typeof s.profile?.digest === 'string' &&
    typeof s.exporters === 'number' &&
    typeof s.totals?.scrapes === 'number' &&
    (s.shard === null || (typeof s.shard?.index === 'number' && typeof s.shard?.count === 'number'))
  );
}
