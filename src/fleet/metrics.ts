import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FleetMeter } from './meter.js';
import type { FleetStats } from '../protocol/fleet-stats.js';

/**
 * The fleet's own `/metrics` (Prometheus text 0.0.4), so a shard can be watched by any
 * Prometheus: `promsoak_fleet_*`, in a registry of its own (never prom-client's global one,
 * which a program embedding promsoak may use), plus prom-client's default process metrics
 * under the same prefix. The names are a contract: dashboards refer to them.
 *
 * Nothing is added per scrape: the counters catch up with the fleet's plain numbers when
 * /metrics is read. Made on the first request for /metrics (startFleet), so that a fleet
 * nobody watches (`promsoak run`'s) runs no default-metrics GC observer or event-loop monitor.
 */
export function fleetRegistry(meter: FleetMeter, stats: () => FleetStats): Registry {
  const registry = new Registry();
  const registers = [registry];
  const c = meter.counters;
  /** A counter that takes the fleet's running total when collected. */
  const counter = (name: string, help: string, read: () => number): void => {
    let reported = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = read();
        this.inc(Math.max(0, now - reported));
        reported = now;
      },
    });
  };
  counter('promsoak_fleet_scrapes_served_total', 'Exporter scrapes answered with a whole body.', () => c.scrapes);
  counter('promsoak_fleet_bytes_served_total', 'Body bytes of the scrapes served.', () => c.bytes);
  counter('promsoak_fleet_render_errors_total', 'Scrapes whose render failed (answered 500).', () => c.errors);
  counter('promsoak_fleet_not_found_total', "Requests for a path this fleet does not serve (404), another shard's exporters included.", () => c.notFound);
  counter('promsoak_fleet_faults_injected_total', "Scrapes answered with one of the profile's injected faults.", () => c.faults);
  counter('promsoak_fleet_connections_cut_total', 'Connections cut off for leaving their responses unread or a request head unfinished (http-connection.ts).', () => c.connectionsCut);
  counter('promsoak_fleet_cpu_seconds_total', "CPU time of the fleet's process (main and serving threads), seconds.", () => meter.cpuSeconds());
  counter('promsoak_fleet_render_seconds_total', 'Time the serving threads spent rendering bodies, seconds.', () => c.renderNs / 1e9);

  const s0 = stats();
  const shard = { shard: String(s0.shard?.index ?? 0), shards: String(s0.shard?.count ?? 1) };
  new Gauge({
    name: 'promsoak_fleet_render_queue_depth',
    help: 'Serving threads saturated in the last second (event loop or CPU at 95 %): above 0 for long, the fleet is the bottleneck.',
    registers,
    collect() {
      this.set(stats().queueDepth);
    },
  });
  new Gauge({
    name: 'promsoak_fleet_exporters',
    help: 'Exporters this fleet serves: its shard (shard of shards; 0 of 1 for a whole fleet).',
    labelNames: ['shard', 'shards'] as const,
    registers,
  })
    .labels(shard)
    .set(s0.exporters);
  new Gauge({
    name: 'promsoak_fleet_series',
    help: 'Series this fleet serves (its exporters times the series of one).',
    registers,
  }).set(s0.exporters * s0.profile.seriesPerExporter);
  new Gauge({
    name: 'promsoak_fleet_render_threads',
    help: 'Serving threads of the fleet (each with its own port).',
    registers,
  }).set(s0.fleet.threads);
  new Gauge({
    name: 'promsoak_fleet_info',
    help: 'The fleet: its profile and digest (shards of one fleet share them), shard, promsoak version. Always 1.',
    labelNames: ['profile', 'digest', 'shard', 'shards', 'version'] as const,
    registers,
  })
    .labels({ profile: s0.profile.name, digest: s0.profile.digest, ...shard, version: s0.fleet.version })
    .set(1);
  collectDefaultMetrics({ register: registry, prefix: 'promsoak_fleet_' });
  // prom-client names three gauges *_total, which promtool's lint refuses ("non-counter
  // metrics should not have _total suffix"); their per-type twins without _total stay.
  for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`promsoak_fleet_nodejs_active_${kind}_total`);
  return registry;
}
