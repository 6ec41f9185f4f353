/** What Head.stats() reports of the head (the cached ingester's stats() adds its scrape caches' bytes). */
export interface HeadStats {
  /** Active series. */
  series: number;
  /** Estimated bytes held: typed arrays (allocated capacity), label sets and interned strings included. */
  bytes: number;
  /** bytes ÷ series (0 without series). */
  bytesPerSeries: number;
  /** The part of `bytes` held by label sets and interned strings. */
  labelBytes: number;
  /** Interned label strings. */
  symbols: number;
  /** Series that moved to per-sample timestamps (their samples were older than their target's newest scrape). */
  ownTimestampSeries: number;
}
