import { request } from 'undici';
import { PromsoakError } from '../common/errors.js';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillPlaceholders, type TargetSpec } from './target-spec.js';

/**
 * How each kind of target is launched and read: its command line, the config files promsoak
 * writes for it, where its own metrics are, and which of its series say what promsoak
 * measures. Prometheus and VictoriaMetrics get a config that scrapes the fleet through file_sd
 * at the profile's interval and timeout, their storage under the run directory, and a free
 * loopback port.
 */
export interface TargetMetricNames {
  /** Samples the target ingested (a counter; a selector, several summed with ` + `). */
  samples: string;
  /** Active series in its head (a gauge), if it says. */
  series?: string;
  /** Series it created (a counter), if it says. */
  seriesAdded?: string;
  /** Scrapes it counted as done and as failed (counters), if it says. */
  scrapesOk?: string;
  scrapesFailed?: string;
  /**
   * A VictoriaMetrics histogram of its scrape durations (`<name>_bucket{vmrange=…}`), if it has
   * one: the frames' scrape p99 (vm-histogram.ts). A name, not a selector.
   */
  scrapeDurationHistogram?: string;
}

export interface TargetLaunch {
  /** null for a url: target (already running). */
  argv: string[] | null;
  /** Where a pushing fleet sends (--push): the launched receiver's /api/v1/write, or --push-url. */
  writeUrl?: string;
  /** Run once the target answers, before the fleet pushes (InfluxDB: its database created). */
  prepare?: () => Promise<void>;
  /** InfluxDB 1.x: its counters are expvar JSON at /debug/vars, not in /metrics (target-sampler.ts reads both). */
  expvarUrl?: string;
  metricsUrl: string;
  names: TargetMetricNames;
}

export interface LaunchContext {
  dir: string;
  fileSd: string;
  httpSd: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** --target-metrics (a URL template with {port}) and --target-samples, for exec: and url: (and overrides for the others). */
  metricsTemplate?: string;
  samples?: string;
  /** --push: the target receives remote write instead of scraping (url: given for a url: target). */
  push?: { url: string | undefined };
  /**
   * A capacity ramp moves the targets while the scraper runs (capacity/dial-sd.ts):
   * VictoriaMetrics re-reads file_sd this often (-promscrape.fileSDCheckInterval, default 5 m;
   * it takes no refresh_interval in the file). Prometheus needs nothing: it watches the file
   * (fsnotify). Absent for a plain soak: a re-read each second of a 100,000-target file would
   * cost the system under test.
   */
  sdCheckSeconds?: number;
}

/** Prometheus 2.x: samples appended to the head (summed over its `type` label). */
/** The scrape config promsoak writes for a launched scraper, in the run directory. */
export const CONFIG_FILE = { prometheus: 'prometheus.yml', 'victoria-metrics': 'promscrape.yml', influxdb: 'influxdb.conf' } as const;

export const PROMETHEUS_NAMES: TargetMetricNames = {
  samples: 'prometheus_tsdb_head_samples_appended_total',
  series: 'prometheus_tsdb_head_series',
  seriesAdded: 'prometheus_tsdb_head_series_created_total',
};

/** VictoriaMetrics (single node): rows it inserted from its own scrapes; series it created; its scrapes. It adds 6 series per scrape (scrape_timeout_seconds too). */
export const VICTORIA_METRICS_NAMES: TargetMetricNames = {
  samples: 'vm_rows_inserted_total{type="promscrape"}',
  seriesAdded: 'vm_new_timeseries_created_total',
  scrapesOk: 'vm_promscrape_scrapes_total',
  scrapesFailed: 'vm_promscrape_scrapes_failed_total',
  scrapeDurationHistogram: 'vm_promscrape_scrape_duration_seconds',
};

/** VictoriaMetrics receiving remote write: the rows it inserted from it. */
export const VICTORIA_METRICS_PUSH_NAMES: TargetMetricNames = {
  samples: 'vm_rows_inserted_total{type="promremotewrite"}',
  seriesAdded: 'vm_new_timeseries_created_total',
};

export async function planTargetLaunch(t: Exclude<TargetSpec, { kind: 'builtin' }>, ctx: LaunchContext): Promise<TargetLaunch> {
  switch (t.kind) {
    case 'prometheus':
      return launchScraper(t, ctx, (config, port) => [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(ctx.dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...(ctx.push ? ['--web.enable-remote-write-receiver'] : []),
      ]);
    case 'victoria-metrics':
      return launchScraper(t, ctx, (config, port) => [
        // Pushed: no scrape config at all (VictoriaMetrics scrapes only when given one).
        ...(ctx.push ? [] : [`-promscrape.config=${config}`]),
        ...(ctx.push || ctx.sdCheckSeconds === undefined ? [] : [`-promscrape.fileSDCheckInterval=${duration(ctx.sdCheckSeconds)}`]),
        `-storageDataPath=${join(ctx.dir, 'vmdata')}`,
        `-httpListenAddr=127.0.0.1:${port}`,
      ]);
    case 'influxdb':
      return launchInfluxdb(t, ctx);
    case 'exec': {
      const port = await freePort();
      const argv = fillPlaceholders(t.argv, {
        file_sd: ctx.fileSd,
        http_sd: ctx.httpSd,
        port: String(port),
        dir: ctx.dir,
        interval: `${ctx.intervalSeconds}s`,
        timeout: `${ctx.timeoutSeconds}s`,
        write_url: `http://127.0.0.1:${port}/api/v1/write`,
      });
      return {
        // Spawned as it is, no shell: the pid promsoak watches is the scraper's own, and no
        // value (a run directory's name) is ever read as shell syntax.
        argv,
        metricsUrl: ctx.metricsTemplate!.replaceAll('{port}', String(port)),
        names: { samples: ctx.samples! },
        ...(ctx.push ? { writeUrl: `http://127.0.0.1:${port}/api/v1/write` } : {}),
      };
    }
    case 'url':
      return { argv: null, metricsUrl: t.url, names: { samples: ctx.samples! }, ...(ctx.push ? { writeUrl: ctx.push.url } : {}) };
  }
}

/** A Go scraper that reads a Prometheus scrape config: the config written, a free port, its flags. */
async function launchScraper(
  t: Extract<TargetSpec, { kind: 'prometheus' | 'victoria-metrics' }>,
  ctx: LaunchContext,
  flags: (config: string, port: number) => string[],
): Promise<TargetLaunch> {
  const port = await freePort();
  const config = join(ctx.dir, CONFIG_FILE[t.kind]);
  writeFileSync(config, ctx.push ? receiverConfig() : scrapeConfig(ctx));
  const names = t.kind === 'prometheus' ? PROMETHEUS_NAMES : ctx.push ? VICTORIA_METRICS_PUSH_NAMES : VICTORIA_METRICS_NAMES;
  return {
    argv: [t.binary, ...flags(config, port)],
    ...(ctx.push ? { writeUrl: `http://127.0.0.1:${port}/api/v1/write` } : {}),
    metricsUrl: ctx.metricsTemplate?.replaceAll('{port}', String(port)) ?? `http://127.0.0.1:${port}/metrics`,
    names: { ...names, ...(ctx.samples ? { samples: ctx.samples } : {}) },
  };
}

/** One scrape job over the fleet's file_sd, at the profile's interval and timeout (the same YAML both programs read). */
export function scrapeConfig(ctx: Pick<LaunchContext, 'fileSd' | 'intervalSeconds' | 'timeoutSeconds'>): string {
  return [
    '# Written by promsoak: one job scraping the fleet through file_sd.',
    'global:',
    `  scrape_interval: ${duration(ctx.intervalSeconds)}`,
    `  scrape_timeout: ${duration(Math.min(ctx.timeoutSeconds, ctx.intervalSeconds))}`,
    'scrape_configs:',
    '  - job_name: promsoak',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(ctx.fileSd)}]`,
    '',
  ].join('\n');
}

/** InfluxDB 1.x receiving remote write: points its HTTP API wrote (expvar httpd.pointsWrittenOK, summed over its listeners). */
export const INFLUXDB_NAMES: TargetMetricNames = { samples: 'influxdb_httpd_points_written_ok_total' };
/** The database promsoak writes into. */
export const INFLUXDB_DATABASE = 'promsoak';

/**
 * InfluxDB 1.x (`influxd`): a config with its meta, data and WAL under the run directory, its
 * HTTP API and its RPC listener on free loopback ports, usage reporting off; once it answers,
 * the database is created (a write into a missing one is a 404).
 */
async function launchInfluxdb(t: Extract<TargetSpec, { kind: 'influxdb' }>, ctx: LaunchContext): Promise<TargetLaunch> {
  const port = await freePort();
  const rpc = await freePort();
  const config = join(ctx.dir, CONFIG_FILE.influxdb);
  const q = (s: string): string => JSON.stringify(s);
  writeFileSync(
    config,
    [
      '# Written by promsoak: InfluxDB 1.x as a remote-write receiver.',
      'reporting-disabled = true',
      `bind-address = ${q(`127.0.0.1:${rpc}`)}`,
      '[meta]',
      `  dir = ${q(join(ctx.dir, 'influxdb', 'meta'))}`,
      '[data]',
      `  dir = ${q(join(ctx.dir, 'influxdb', 'data'))}`,
      `  wal-dir = ${q(join(ctx.dir, 'influxdb', 'wal'))}`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = ${q(`127.0.0.1:${port}`)}`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '',
    ].join('\n'),
  );
  const base = `http://127.0.0.1:${port}`;
  return {
    argv: [t.binary, '-config', config],
    metricsUrl: ctx.metricsTemplate?.replaceAll('{port}', String(port)) ?? `${base}/metrics`,
    expvarUrl: `${base}/debug/vars`,
    names: { ...INFLUXDB_NAMES, ...(ctx.samples ? { samples: ctx.samples } : {}) },
    writeUrl: `${base}/api/v1/prom/write?db=${INFLUXDB_DATABASE}`,
    prepare: async () => {
      const res = await request(`${base}/query`, { method: 'POST', body: `q=${encodeURIComponent(`CREATE DATABASE ${INFLUXDB_DATABASE}`)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
      const text = (await res.body.text()).slice(0, 300);
      if (res.statusCode !== 200 || text.includes('"error"')) throw new PromsoakError('PROMSOAK_TARGET_START', `--target influxdb: creating database ${INFLUXDB_DATABASE} answered ${res.statusCode}: ${text}`);
    },
  };
}

/** A receiver's config: no scrape job (the fleet pushes; promsoak reads its /metrics itself). */
function receiverConfig(): string {
  return ['# Written by promsoak: the fleet pushes by remote write; no scrape job.', 'scrape_configs: []', ''].join('\n');
}

/** Prometheus durations are whole units: 5s, 1500ms. */
function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** A port free on loopback now (the target binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
