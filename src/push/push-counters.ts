/**
 * A pushing serving thread's counts, in its own slot of one SharedArrayBuffer (as
 * fleet/thread-counters.ts): plain stores by the one thread that owns the slot, read by the
 * main thread once a second. Samples are counted where they are in their life: generated →
 * sent (in a request's first attempt) → acknowledged (a 2xx) or rejected (a 4xx other than
 * 429, by status) or dropped (with why); retried counts attempts after the first.
 */
export const enum P {
  Generated = 0,
  Sent,
  Acked,
  Rejected,
  /** Samples in requests sent again (after a 5xx, a 429, a timeout or a lost connection). */
  RetriedSamples,
  RetriedRequests,
  /** Dropped because the backlog passed --max-backlog (oldest first). */
  DroppedBacklog,
  /** Dropped at the end: still unacknowledged when the drain's time ran out. */
  DroppedStop,
  Requests,
  /** Requests answered 2xx. */
  RequestsOk,
  /** Compressed bytes of request bodies sent (each attempt), and their uncompressed size. */
  BytesWire,
  BytesRaw,
  /** Samples generated and not yet acknowledged, rejected or dropped: a gauge. */
  Backlog,
  /** Requests that ended with no answer: timeouts and connection errors. */
  NetworkErrors,
  /** Requests answered 5xx and 429. */
  ServerErrors,
  TooMany,
  /** Remote write 2.0: samples the receiver said it wrote (X-Prometheus-Remote-Write-Samples-Written). */
  Written,
  /** Stale markers among the samples generated (a churned series' last sample: NaN 0x7ff0000000000002). */
  Stale,
  /** Samples generated over LATE_MS after they were due: the generator (this thread) behind its schedule. */
  Late,
  /** Samples due but never generated: the generator was over an interval behind and skipped to the present. */
  Skipped,
  /** The most a thread's generation lagged behind its due time, ms (a maximum per slot, not a sum). */
  LagMaxMs,
  /** Request latency histogram: LAT_BUCKETS slots from here. */
  Latency,
  /** Rejected samples by status 100..599 (a 3xx is not followed: it rejects as a 4xx does): STATUS_SLOTS slots from here. */
  Status = Latency + 48,
  Size = Status + 500,
}

export const STATUS_FIRST = 100;
export const STATUS_SLOTS = 500;

/** A rejecting status's slot from P.Status (anything outside 100..599 in the last one, 599). */
export function statusSlot(status: number): number {
  return Math.min(STATUS_SLOTS - 1, Math.max(0, status - STATUS_FIRST));
}

export const LAT_BUCKETS = 48;
/** Bucket b holds latencies below LAT_BASE_MS · 2^((b+1)/2): 0.1 ms … ~1700 s, √2 apart. */
export const LAT_BASE_MS = 0.1;

export function latencyBucket(ms: number): number {
  if (!(ms > LAT_BASE_MS)) return 0;
  const b = Math.floor(2 * Math.log2(ms / LAT_BASE_MS));
  return b >= LAT_BUCKETS ? LAT_BUCKETS - 1 : b;
}

/** The upper bound of bucket b, ms. */
export function latencyBucketUpper(b: number): number {
  return LAT_BASE_MS * Math.pow(2, (b + 1) / 2);
}

export function pushCounters(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * P.Size * 8);
}

export function pushSlot(shared: SharedArrayBuffer, slot: number): Float64Array {
  return new Float64Array(shared, slot * P.Size * 8, P.Size);
}

/** Every slot summed into one array of P.Size. */
export function sumSlots(shared: SharedArrayBuffer, into = new Float64Array(P.Size)): Float64Array {
  const f = new Float64Array(shared);
  into.fill(0);
  for (let i = 0; i < f.length; i++) into[i % P.Size]! += f[i]!;
  return into;
}

/** The q-quantile (0..1) of the latencies counted in hist[Latency..+LAT_BUCKETS), ms (a bucket's upper bound); NaN when empty. */
export function latencyQuantile(hist: Float64Array, q: number): number {
  let n = 0;
  for (let b = 0; b < LAT_BUCKETS; b++) n += hist[P.Latency + b]!;
  if (n === 0) return NaN;
  let seen = 0;
  for (let b = 0; b < LAT_BUCKETS; b++) {
    seen += hist[P.Latency + b]!;
    if (seen >= q * n) return latencyBucketUpper(b);
  }
  return latencyBucketUpper(LAT_BUCKETS - 1);
}
