/**
 * The engine child's IPC protocol (coordinator ⇄ engine), as typed discriminated unions.
 * The engine's stdout is reserved for V8's --trace-gc-nvp lines; everything else is here.
 */

/** What `promsoak engine` and the coordinator configure; plain JSON, so it crosses IPC. */
export interface EngineOptions {
  /** Prometheus file_sd JSON file; may be absent with receivePort (push only). */
  targetsFile?: string;
  /** Scrape interval, seconds; default 5. */
  intervalSeconds?: number;
  /** Scrape timeout, seconds; default min(10, interval), as Prometheus. */
  timeoutSeconds?: number;
  /** `cached` (default), `naive` or `module:<path>`. */
  ingester?: string;
  /** Samples kept per series in the head; default 120. */
  headWindow?: number;
  /** Per-scrape sample limit (0: none). */
  sampleLimit?: number;
  /** Body size limit in bytes (0: none). */
  bodyLimitBytes?: number;
  /** HTTP connections per origin; default 16. */
  connections?: number;
  /** Serve the engine's own /metrics on 127.0.0.1:<port> (0: a free port); none when absent. */
  metricsPort?: number;
  /**
   * Receive remote write 1.0 (`POST /api/v1/write`) on 127.0.0.1:<port> (0: a free port) into
   * the head; none when absent. With it, targetsFile may be left out (push only).
   */
  receivePort?: number;
  /**
   * Added to every target's scrape phase, ms (common/schedule.ts; default 0): engines that
   * scrape one fleet side by side (`compare --together`) each get their own instants.
   */
  phaseOffsetMs?: number;
}

/** Cumulative since the engine started; the consumer takes deltas. */
export interface EngineStats {
  /** Wall clock, ms since the epoch. */
  timeMs: number;
  uptimeSeconds: number;
  samples: number;
  scrapesOk: number;
  scrapesFailed: number;
  /** Ticks skipped because the previous scrape of that target was still running. */
  scrapesSkipped: number;
  bodyBytes: number;
  /** Bytes of body buffers the client ever allocated: stays flat once warm (buffers are reused). */
  bodyBufferBytes: number;
  seriesAdded: number;
  /** The remote-write receiver's requests (absent without --receive): answered 204, and refused. */
  writeRequestsOk?: number;
  writeRequestsRejected?: number;
  /** Active series in the ingester (its stats()). */
  series: number;
  /** Bytes the ingester says it holds (its stats()); 0 when it does not say. */
  headBytes: number;
  targets: number;
  targetsUp: number;
  /** process.cpuUsage(), µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  heapUsedBytes: number;
  rssBytes: number;
}

export interface TargetStatus {
  target: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  /** Wall clock of the last scrape's start, ms since the epoch (0: never scraped). */
  lastScrapeMs: number;
  /** HTTP part of the last scrape, seconds. */
  lastDurationSeconds: number;
  /** Ingest part of the last scrape, seconds. */
  lastIngestSeconds: number;
  lastSamples: number;
  lastSeriesAdded: number;
  lastBodyBytes: number;
  scrapesOk: number;
  scrapesFailed: number;
  /** The last failure's message ('' when the last scrape succeeded). */
  lastError: string;
  /** The last failure's reason (engine-channels.ts FAILURE_REASONS; '' when the last scrape succeeded). */
  lastErrorReason: string;
}

export interface ReadyMessage {
  type: 'ready';
  pid: number;
  targets: number;
  ingester: string;
  intervalSeconds: number;
  metricsUrl?: string;
  /** The remote-write receiver's URL (`http://127.0.0.1:<port>/api/v1/write`) with receivePort. */
  writeUrl?: string;
}

/** Coordinator → engine. */
export type ToEngine =
  /** statsEveryMs: the 'stats' message's period; 0 or absent: none (a soak reads the agent's frames instead). */
  | { type: 'start'; options: EngineOptions; statsEveryMs?: number }
  /** Asks for a `targets` reply. */
  | { type: 'targets' }
  /** Re-read the targets file and scrape what it lists from now on (capacity's dial); answered by `retargeted`. */
  | { type: 'retarget' }
  | { type: 'stop' };

/** Engine → coordinator. */
export type FromEngine =
  | ReadyMessage
  /** Once a second. */
  | { type: 'stats'; stats: EngineStats }
  | { type: 'targets'; targets: TargetStatus[] }
  /**
   * The targets scraped from now on. With `error` the file could not be read (or is not
   * file_sd): nothing changed, `targets` is what is still scraped.
   */
  | { type: 'retargeted'; targets: number; error?: { code?: string; message: string } }
  /** Last message before a clean exit. */
  | { type: 'stopped'; stats: EngineStats; targets: TargetStatus[] }
  | { type: 'error'; code?: string; message: string; fatal: boolean };
