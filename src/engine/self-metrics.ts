import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { TargetStatus } from '../protocol/engine.js';
import { FAILURE_REASONS, type FailureReason } from '../protocol/engine-channels.js';

/** What the engine's gauges read at collection time. */
export interface SelfMetricsSource {
  headSeries(): number;
  headBytes(): number;
  targets(): readonly TargetStatus[];
}

/** The statuses the remote-write receiver answers (remote-write-server.ts), in the order counted. */
export const REMOTE_WRITE_CODES = [204, 400, 404, 405, 413, 415, 500, 503] as const;

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A histogram with fixed buckets whose observe() allocates nothing (prom-client's allocates a
 * closure and a labels object per call), registered in a prom-client Registry as a collector:
 * get() gives prom-client the cumulative buckets, sum and count when /metrics is read.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** MUST stay allocation-free: once per scrape. */
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values = [];
    let cum = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cum += this.counts[i]!;
      values.push({ labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf' }, value: cum, metricName: `${this.name}_bucket` });
    }
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` }, { labels: {}, value: this.count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Adds it to a registry (prom-client takes any object shaped as its metrics). */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/**
 * The engine's own metrics, every one defined here, Prometheus-named. Per scrape (never per
 * sample) they only add to plain numbers, allocating nothing: the counters take those
 * numbers when /metrics is read, the histograms are BucketHistograms; gauges are read then too.
 * Registered in a private Registry: no default process metrics, whose GC observers and
 * event-loop monitors would perturb what the engine measures.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  private readonly totals = { ok: 0, failed: 0, samples: 0, bytes: 0, seriesAdded: 0 };
  private readonly failedBy = new Float64Array(FAILURE_REASONS.length);
  private readonly writeBy = new Float64Array(REMOTE_WRITE_CODES.length);
  private readonly scrapeDuration: BucketHistogram;
  private readonly ingestDuration: BucketHistogram;

  constructor(source: SelfMetricsSource) {
    const registers = [this.registry];
    const totals = this.totals;
    /** A counter that catches up with totals[key] when collected. */
    const counter = (name: string, help: string, key: 'samples' | 'bytes' | 'seriesAdded'): void => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.inc(totals[key] - reported);
          reported = totals[key];
        },
      });
    };
    const reported = { ok: 0, failed: 0 };
    new Counter({
      name: 'promsoak_engine_scrapes_total',
      help: 'Scrapes finished, by result (ok, failed).',
      labelNames: ['result'] as const,
      registers,
      collect() {
        for (const r of ['ok', 'failed'] as const) {
          this.labels(r).inc(totals[r] - reported[r]);
          reported[r] = totals[r];
        }
      },
    });
    const failedBy = this.failedBy;
    const reportedBy = new Float64Array(FAILURE_REASONS.length);
    new Counter({
      name: 'promsoak_engine_scrapes_failed_total',
      help: 'Failed scrapes, by reason (timeout, http_status, connection, bad_response, body_limit, parse, sample_limit, ingester, other).',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        FAILURE_REASONS.forEach((r, i) => {
          this.labels(r).inc(failedBy[i]! - reportedBy[i]!);
          reportedBy[i] = failedBy[i]!;
        });
      },
    });
    const writeBy = this.writeBy;
    const reportedWrite = new Float64Array(REMOTE_WRITE_CODES.length);
    new Counter({
      name: 'promsoak_engine_remote_write_requests_total',
      help: 'Remote-write requests answered by the receiver (--receive), by HTTP status: 204 stored, anything else rejected.',
      labelNames: ['code'] as const,
      registers,
      collect() {
        REMOTE_WRITE_CODES.forEach((code, i) => {
          this.labels(String(code)).inc(writeBy[i]! - reportedWrite[i]!);
          reportedWrite[i] = writeBy[i]!;
        });
      },
    });
    counter('promsoak_engine_samples_ingested_total', 'Samples ingested by successful scrapes and stored remote-write requests.', 'samples');
    counter('promsoak_engine_scrape_body_bytes_total', 'Body bytes read by successful scrapes.', 'bytes');
    counter('promsoak_engine_series_added_total', 'Series seen for the first time (scrape-cache and receiver-cache misses).', 'seriesAdded');
    this.scrapeDuration = new BucketHistogram(
      'promsoak_engine_scrape_duration_seconds',
      'HTTP part of a scrape: request to last body byte.',
      DURATION_BUCKETS,
    ).register(this.registry);
    this.ingestDuration = new BucketHistogram(
      'promsoak_engine_ingest_duration_seconds',
      'Ingest part of a scrape: the body through the ingester.',
      DURATION_BUCKETS,
    ).register(this.registry);
    new Gauge({
      name: 'promsoak_engine_head_series',
      help: 'Active series in the head.',
      registers,
      collect() {
        this.set(source.headSeries());
      },
    });
    new Gauge({
      name: 'promsoak_engine_head_bytes',
      help: 'Bytes the ingester estimates it holds (head, label sets, scrape caches).',
      registers,
      collect() {
        this.set(source.headBytes());
      },
    });
    new Gauge({
      name: 'promsoak_engine_targets',
      help: 'Scrape targets, by health (up, down, unknown).',
      labelNames: ['health'] as const,
      registers,
      collect() {
        const n = { up: 0, down: 0, unknown: 0 };
        for (const t of source.targets()) n[t.health]++;
        for (const [h, v] of Object.entries(n)) this.labels(h).set(v);
      },
    });
    new Gauge({
      name: 'promsoak_engine_target_up',
      help: '1 if the last scrape of the target succeeded, else 0.',
      labelNames: ['target'] as const,
      registers,
      collect() {
        // A target a retarget removed leaves, as from Prometheus's targets page.
        this.reset();
        for (const t of source.targets()) this.labels(t.target).set(t.health === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'promsoak_engine_target_last_error_info',
      help: "The last scrape error of each target that is down, as Prometheus's targets page shows it (1 per down target).",
      labelNames: ['target', 'reason', 'error'] as const,
      registers,
      collect() {
        this.reset();
        for (const t of source.targets()) if (t.health === 'down') this.labels(t.target, t.lastErrorReason, t.lastError.slice(0, 200)).set(1);
      },
    });
  }

  /** MUST stay allocation-free: once per scrape. */
  scrapeOk(httpSeconds: number, ingestSeconds: number, samples: number, bytes: number, seriesAdded: number): void {
    const t = this.totals;
    t.ok++;
    t.samples += samples;
    t.bytes += bytes;
    t.seriesAdded += seriesAdded;
    this.scrapeDuration.observe(httpSeconds);
    this.ingestDuration.observe(ingestSeconds);
  }

  /** MUST stay allocation-free: once per scrape. */
  scrapeFailed(httpSeconds: number, reason: FailureReason): void {
    this.totals.failed++;
    this.failedBy[FAILURE_REASONS.indexOf(reason)]!++;
    this.scrapeDuration.observe(httpSeconds);
  }

  /** A remote-write request stored: its samples are ingested samples, as a scrape's are. Once per request. */
  remoteWriteStored(samples: number, seriesAdded: number): void {
    const t = this.totals;
    t.samples += samples;
    t.seriesAdded += seriesAdded;
    this.writeBy[0]!++;
  }

  /** A remote-write request refused with this status. Once per request. */
  remoteWriteRejected(status: number): void {
    const i = REMOTE_WRITE_CODES.indexOf(status as (typeof REMOTE_WRITE_CODES)[number]);
    if (i >= 0) this.writeBy[i]!++;
  }

  /** Serves /metrics on host:port (0: a free port); resolves with the URL. */
  async serve(port: number, host = '127.0.0.1'): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': this.registry.contentType });
          res.end(text);
        },
        (e: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`${e.message}\n`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as { port: number };
    return { url: `http://${host}:${addr.port}/metrics`, server };
  }
}
