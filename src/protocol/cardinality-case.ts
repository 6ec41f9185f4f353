/**
 * `promsoak cardinality`'s protocol: the coordinator (src/cardinality/run.ts) forks one child
 * per case (src/cardinality/case/case-main.ts) with a CaseSpec as argv[2] and gets one
 * CaseMessage back over IPC.
 */

export const SUBJECTS = ['prom-client', 'engine'] as const;
export type Subject = (typeof SUBJECTS)[number];
export const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** One case: what the child builds and measures. */
export interface CaseSpec {
  subject: Subject;
  type: MetricType;
  /** Distinct label sets {foo="foo", bar="bar", baz="baz-<i>"}, i in [0, labelSets). */
  labelSets: number;
  /** prom-client: observations per label set. engine: scrapes of the same body. */
  observations: number;
  /** 0-based repeat index (each repeat is a fresh process). */
  repeat: number;
  /** engine only: samples kept per series in the head. */
  headWindow: number;
  /** Where the child writes a heap snapshot after measuring (absent: none). */
  heapSnapshot?: string;
}

/** What the child measured (sent back over IPC). */
export interface CaseMeasurement {
  /** Retained bytes: V8 heap used + ArrayBuffer backing stores, after the build minus before it. */
  bytes: number;
  /** The V8-heap part of `bytes`. */
  heapBytes: number;
  /** The ArrayBuffer (off-heap, e.g. typed arrays of the engine's head) part of `bytes`. */
  arrayBufferBytes: number;
  /** Exposed series per label set (histogram: buckets + +Inf + _sum + _count). */
  seriesPerLabelSet: number;
  /** Time to build the vector (record every observation / ingest every scrape), ms. */
  buildMs: number;
  /** engine only: the ingester's own estimate of the bytes it holds (stats().bytes). */
  estimateBytes?: number;
  /** Path of the heap snapshot written, if asked. */
  heapSnapshot?: string;
}

export type CaseMessage = { type: 'result'; result: CaseMeasurement } | { type: 'error'; message: string };
