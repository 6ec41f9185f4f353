import { z } from 'zod';
import { describeIssue } from '../common/schema-issue.js';
import type { PushStats } from './push-stats.js';

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

/** One thread of a fleet: the main one (control paths) or a serving one (its share of the targets). */
export interface FleetThread {
  role: 'main' | 'serving';
  port: number;
  /** Its kernel thread id (/proc/<pid>/task/<tid>). */
  tid: number;
  /** Connections open now, and refused at its bound since the start. */
  connections: number;
  connectionsRefused: number;
  scrapes: number;
  cpuSeconds: number;
  /** Its CPU in cores and its event loop's utilization (0..1) over the last second; null before the first. */
  lastSecond: { cpuCores: number; utilization: number | null } | null;
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
    /** Serving threads (each with its own port; the main thread answers the control paths). */
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
  /**
   * Serving threads saturated in the last second (event loop or CPU ≥ 95 % busy): above 0 for
   * long, the fleet is the bottleneck. (Before serving threads: render tasks waiting.)
   */
  queueDepth: number;
  /** Every thread: the main one first, then the serving ones. Absent from older fleets. */
  threads?: FleetThread[];
  /** A pushing fleet's figures (`--push`); absent from a fleet that is only scraped. */
  push?: PushStats;
  totals: FleetCounts & {
    /** CPU time of the fleet's process (main and serving threads), seconds. */
    cpuSeconds: number;
    /** Whole seconds measured (the fleet's 1 s ticks) and how many of them had a serving thread saturated. */
    seconds: number;
    queuedSeconds: number;
    /**
     * Connections the fleet cut off: a response left unread for long, or a request head never
     * finished (fleet/http-connection.ts). Absent from older fleets.
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
        /** The serving threads saturated in that second (queueDepth's meaning). */
        queueDepthMax: number;
      })
    | null;
}

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().finite().nonnegative();
const text = (max: number) => z.string().max(max);
/** Epoch ms (`--epoch` may be 0). */
const epochMs = z.number().finite().nonnegative();
const countsShape = { scrapes: count, bytes: count, renderErrors: count, notFound: count, faults: count };

/**
 * What a reader accepts as a fleet's /stats: every field it reads, typed and bounded (extra
 * fields are let through: a newer fleet may add some within one schemaVersion).
 */
export const fleetStatsSchema = z.object({
  schemaVersion: z.literal(FLEET_STATS_SCHEMA_VERSION),
  atMs: epochMs,
  fleet: z.object({
    pid: z.number().int().positive(),
    host: text(253),
    version: text(100),
    node: text(100),
    startedAtMs: epochMs,
    epochMs: epochMs,
    url: text(300),
    threads: z.number().int().positive().max(4096),
    cores: z.number().finite().positive().max(65_536),
  }),
  profile: z.object({
    name: text(200),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'must be sha256:<64 hex digits>' }),
    exporters: z.number().int().positive().max(100_000),
    seriesPerExporter: count,
    scrapeIntervalSeconds: z.number().finite().positive(),
  }),
  shard: z
    .object({ index: z.number().int().nonnegative(), count: z.number().int().positive().max(100_000) })
    .refine((s) => s.index < s.count, { error: 'index must be below count' })
    .nullable(),
  exporters: z.number().int().nonnegative().max(100_000),
  queueDepth: count,
  threads: z
    .array(
      z.object({
        role: z.enum(['main', 'serving']),
        port: z.number().int().nonnegative().max(65_535),
        tid: count,
        connections: count,
        connectionsRefused: count,
        scrapes: count,
        cpuSeconds: seconds,
        lastSecond: z.object({ cpuCores: seconds, utilization: z.number().finite().min(0).max(1).nullable() }).nullable(),
      }),
    )
    .max(4097)
    .optional(),
  totals: z.object({ ...countsShape, cpuSeconds: seconds, seconds: count, queuedSeconds: count, connectionsCut: count.optional() }),
  lastSecond: z.object({ ...countsShape, startMs: epochMs, endMs: epochMs, cpuCores: seconds, queueDepthMax: count }).nullable(),
}) satisfies z.ZodType<FleetStats>;

/** A `/stats` body from the network, checked: the stats, or the first field that is wrong as one phrase (`fleet.pid is missing`). */
export function readFleetStats(x: unknown): { ok: true; stats: FleetStats } | { ok: false; why: string } {
  const r = fleetStatsSchema.safeParse(x, { reportInput: true });
  return r.success ? { ok: true, stats: r.data } : { ok: false, why: describeIssue(r.error.issues[0]!) };
}

/** True for a `/stats` body that is a fleet's of this schemaVersion (readFleetStats says why not). */
export function isFleetStats(x: unknown): x is FleetStats {
  return fleetStatsSchema.safeParse(x).success;
}
