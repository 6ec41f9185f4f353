import { createServer } from 'node:http';
import { PromsoakError } from '../common/errors.js';
import type { LiveFrame, LiveGcEvent } from './live-frame.js';
import { SoakMetrics } from './soak-metrics.js';
import type { SoakOptions, SoakPlan } from './soak-plan.js';

export interface LiveMetricsOptions {
  /** 0: a free port (the URL says which). */
  port: number;
  host?: string;
  /** promsoak_soak_info's labels (profile, ingester, target, …). */
  info?: Record<string, string>;
}

export interface LiveMetrics {
  /** http://host:port/metrics, with the real port. */
  readonly url: string;
  onFrame(f: LiveFrame): void;
  onGc(e: LiveGcEvent): void;
  close(): Promise<void>;
}

/**
 * `promsoak run --metrics-port`: the soak's frames and GC events as they arrive, served on
 * /metrics (SoakMetrics) for any Prometheus to scrape while the soak runs.
 */
export async function startLiveMetrics(o: LiveMetricsOptions): Promise<LiveMetrics> {
  const host = o.host ?? '127.0.0.1';
  const metrics = new SoakMetrics(o.info);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, host, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new PromsoakError('PROMSOAK_USAGE', `--metrics-port ${o.port} on ${host} is already in use (0 picks a free one)`);
    throw new PromsoakError('PROMSOAK_USAGE', `--metrics-port ${o.port} on ${host}: ${(e as Error).message}`);
  }
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    onFrame: (f) => metrics.onFrame(f),
    onGc: (e) => metrics.onGc(e),
    // Node closes idle keep-alive connections itself; a scrape still in flight is cut rather
    // than waited for, so a compare's next soak can bind the port at once.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** promsoak_soak_info's labels for a soak. The target is the built-in engine until a soak can have another (issue #13). */
export function soakInfo(meta: SoakPlan['meta']): Record<string, string> {
  return { profile: meta.profile, ingester: meta.ingester, target: meta.target?.kind === undefined || meta.target.kind === 'builtin' ? 'engine' : meta.ingester, cores: meta.cores ?? 'all', node: meta.node, version: meta.version };
}

/** A soak's live metrics when --metrics-port asks for them (undefined otherwise), its URL told to onMetricsUrl. */
export async function soakLiveMetrics(o: Pick<SoakOptions, 'metricsPort' | 'metricsHost' | 'onMetricsUrl'>, meta: SoakPlan['meta']): Promise<LiveMetrics | undefined> {
  if (o.metricsPort === undefined) return undefined;
  const live = await startLiveMetrics({ port: o.metricsPort, host: o.metricsHost, info: soakInfo(meta) });
  o.onMetricsUrl?.(live.url);
  return live;
}
