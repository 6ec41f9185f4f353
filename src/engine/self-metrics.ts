import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TargetStatus } from './protocol.js';

/** What the engine's gauges read at collection time. */
export interface SelfMetricsSource {
  headSeries(): number;
  headBytes(): number;
  targets(): readonly TargetStatus[];
}

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The engine's own metrics, every one defined here, Prometheus-named. Counters and histograms
 * are updated once per scrape (never per sample); gauges are read when /metrics is scraped.
 * Registered in a private Registry: no default process metrics, whose GC observers and
 * event-loop monitors would perturb what the engine measures.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  private readonly ok: Counter.Internal;
  private readonly failed: Counter.Internal;
  private readonly samples: Counter;
  private readonly bytes: Counter;
  private readonly seriesAdded: Counter;
  private readonly scrapeDuration: Histogram;
  private readonly ingestDuration: Histogram;

  constructor(source: SelfMetricsSource) {
    const registers = [this.registry];
    const scrapes = new Counter({
      name: 'promsoak_engine_scrapes_total',
      help: 'Scrapes finished, by result (ok, failed).',
      labelNames: ['result'] as const,
      registers,
    });
    this.ok = scrapes.labels('ok');
    this.failed = scrapes.labels('failed');
    this.samples = new Counter({ name: 'promsoak_engine_samples_ingested_total', help: 'Samples ingested by successful scrapes.', registers });
    this.bytes = new Counter({ name: 'promsoak_engine_scrape_body_bytes_total', help: 'Body bytes read by successful scrapes.', registers });
    this.seriesAdded = new Counter({ name: 'promsoak_engine_series_added_total', help: 'Series seen for the first time (scrape-cache misses).', registers });
    this.scrapeDuration = new Histogram({
      name: 'promsoak_engine_scrape_duration_seconds',
      help: 'HTTP part of a scrape: request to last body byte.',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.ingestDuration = new Histogram({
      name: 'promsoak_engine_ingest_duration_seconds',
      help: "Ingest part of a scrape: the body through the ingester.",
      buckets: DURATION_BUCKETS,
      registers,
    });
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
        for (const t of source.targets()) this.labels(t.target).set(t.health === 'up' ? 1 : 0);
      },
    });
  }

  scrapeOk(httpSeconds: number, ingestSeconds: number, samples: number, bytes: number, seriesAdded: number): void {
    this.ok.inc();
    this.samples.inc(samples);
    this.bytes.inc(bytes);
    if (seriesAdded > 0) this.seriesAdded.inc(seriesAdded);
    this.scrapeDuration.observe(httpSeconds);
    this.ingestDuration.observe(ingestSeconds);
  }

  scrapeFailed(httpSeconds: number): void {
    this.failed.inc();
    this.scrapeDuration.observe(httpSeconds);
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
