/**
 * The plug-in contract of the system under test (see README "Writing an ingester").
 * A module given as `--ingester module:<path>` default-exports a factory:
 *
 *   export default function createIngester(options: IngesterOptions): Ingester;
 */
export interface IngesterOptions {
  /** Samples kept per series in the head (a bounded window). */
  headWindow: number;
  /** Per-scrape sample limit (0: none); over it the scrape fails, as Prometheus's sample_limit. */
  sampleLimit: number;
}

export interface IngestResult {
  samples: number;
  /** Series seen for the first time in this target (scrape-cache misses). */
  seriesAdded: number;
}

export interface Ingester {
  /**
   * One scrape's body. Returns the number of samples ingested. The body's bytes are only
   * valid during the call (the engine reuses the buffer). Throws a ParseError for a
   * malformed body; the engine then marks that target down and nothing else is affected.
   * A call that throws should leave nothing of its scrape behind (no sample, no new series),
   * as Prometheus rolls back its appender: the shipped ingesters do, and the engine counts
   * nothing of a failed scrape.
   */
  ingest(body: Uint8Array, target: string, timestampMs: number, contentType: string): number;
  /** Optional: the counts of the last ingest() call (may be one reused object); feeds per-target "series added". */
  readonly last?: IngestResult;
  /** Active series and bytes held, for the report. */
  stats?(): { series: number; bytes?: number };
  close?(): void | Promise<void>;
}

export type IngesterFactory = (options: IngesterOptions) => Ingester;
