/**
 * A pushing fleet's figures (`/stats.push`, and `summary.json`'s `push`): where every
 * generated sample went. Cumulative in `totals`, per second in `lastSecond`.
 */
export interface PushCounts {
  /** Samples the exporters produced. */
  generated: number;
  /** Samples in requests sent for the first time. */
  sent: number;
  /** Samples in requests answered 2xx. */
  acknowledged: number;
  /** Samples in requests answered 4xx other than 429 (never retried). */
  rejected: number;
  /** Samples in requests sent again (after a 5xx, a 429, a timeout or a lost connection), and those requests. */
  retried: number;
  retriedRequests: number;
  /** Samples given up: the backlog passed --max-backlog (oldest first), or still unacknowledged when the drain ended. */
  droppedBacklog: number;
  droppedAtStop: number;
  requests: number;
  requestsOk: number;
  /** Request bodies as sent (snappy) and before compression, every attempt. */
  bytesWire: number;
  bytesRaw: number;
  /** Requests that got no answer (timeouts, connection errors), and answered 5xx, and 429. */
  networkErrors: number;
  serverErrors: number;
  tooManyRequests: number;
  /** Remote write 2.0: samples the receiver said it wrote (X-Prometheus-Remote-Write-Samples-Written). */
  written: number;
  /** Stale markers among the samples generated (NaN 0x7ff0000000000002: a churned series gone). */
  staleMarkers: number;
  /** Samples generated over a second after they were due (the fleet's generator behind its schedule). */
  generatedLate: number;
  /** Samples due but never generated: a serving thread over an interval behind skipped to the present. */
  skipped: number;
}

export interface PushStats {
  protocol: '1.0' | '2.0';
  url: string;
  batch: number;
  senders: number;
  maxBacklog: number;
  totals: PushCounts & {
    /** Rejected samples by HTTP status. */
    rejectedByStatus: Record<string, number>;
    /** Samples generated and not yet acknowledged, rejected or dropped. */
    backlog: number;
    /** The most a serving thread's generation lagged behind the samples' due time, ms. */
    generatorLagMaxMs: number;
    /** Request latency over the whole run, ms (the upper bound of a √2-wide bucket); null before any answer. */
    latencyP50Ms: number | null;
    latencyP99Ms: number | null;
  };
  lastSecond:
    | (PushCounts & { startMs: number; endMs: number; backlog: number; latencyP50Ms: number | null; latencyP99Ms: number | null })
    | null;
  /** What the senders said once each: a rejection's status and reason, a receiver that is not 2.0, a connection error. */
  notes: string[];
}
