/**
 * The defaults that more than one part of promsoak uses, in one table: the engine, the
 * ingesters, the cardinality experiment, the CLI's help and the coordinator read them here.
 */
export const DEFAULTS = {
  /** Samples kept per series in the head (a ring), as a short Prometheus head chunk. */
  headWindow: 120,
  /** The largest head window accepted. */
  maxHeadWindow: 65_536,
  /** Scrape interval, seconds, when neither a profile nor a flag sets one. */
  intervalSeconds: 5,
  /** A scrape's timeout is min(this, interval), as in Prometheus. */
  maxTimeoutSeconds: 10,
  /**
   * The longest scrape interval (and so timeout) accepted: a day. Node's timers overflow past
   * ~24.8 days and fire at once; a soak's intervals are seconds to minutes.
   */
  maxIntervalSeconds: 86_400,
  /** HTTP connections per origin in the engine's client. */
  connections: 16,
  /** The default ingester. */
  ingester: 'cached',
  /** Bytes kept of each log file of a launched target (--target-log-limit): 8 MiB. */
  targetLogLimitBytes: 8 * 1024 * 1024,
  /** The largest --target-log-limit accepted: 64 GiB. */
  maxTargetLogLimitBytes: 64 * 1024 * 1024 * 1024,
} as const;

/**
 * Scrape-duration histograms (hdr-histogram-js), in µs: 1 µs to an hour, 3 significant
 * digits. Frames encode with these and the analysis decodes and merges with them: both
 * sides must agree.
 */
export const SCRAPE_HISTOGRAM = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 } as const;
