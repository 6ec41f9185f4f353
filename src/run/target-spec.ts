import { PromsoakError } from '../common/errors.js';
import { splitWords } from '../common/shell-words.js';

/**
 * What `--target` names: the system under test of a soak.
 *
 * - `builtin` (default): promsoak's own engine child;
 * - `prometheus[:<binary>]`, `victoria-metrics[:<binary>]`: launched with a generated config
 *   that scrapes the fleet through file_sd (the binary on PATH by default);
 * - `influxdb[:<influxd binary>]`: InfluxDB 1.x, launched with a generated config; it only
 *   receives (`--push`: `/api/v1/prom/write`), it does not scrape;
 * - `exec:<command line>`: any scraper, started from a command line with placeholders
 *   ({file_sd}, {http_sd}, {port}, {dir}, {interval}, {timeout}; with --push, {write_url}:
 *   http://127.0.0.1:{port}/api/v1/write, where its remote-write receiver is to listen). The line is split into argv
 *   words once, as sh would split them (quotes and backslashes, no expansion: see
 *   common/shell-words.ts), a placeholder is filled inside its word (never re-split), and the
 *   program is spawned directly, without a shell. For a shell, name one and pass the values
 *   as arguments: `exec:sh -c 'my-scraper --dir "$1" 2>&1 | tee log' sh {dir}`;
 * - `url:<metrics url>`: a scraper already running (with `--pid` for its CPU and memory).
 */
export type TargetSpec =
  | { kind: 'builtin' }
  | { kind: 'prometheus'; binary: string }
  | { kind: 'victoria-metrics'; binary: string }
  | { kind: 'influxdb'; binary: string }
  | { kind: 'exec'; command: string; argv: string[] }
  | { kind: 'url'; url: string };

export type TargetKind = TargetSpec['kind'];

export const PLACEHOLDERS = ['file_sd', 'http_sd', 'port', 'dir', 'interval', 'timeout', 'write_url'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * Series a scraper adds to every scrape of its own (Prometheus: up, scrape_duration_seconds,
 * scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added;
 * VictoriaMetrics also scrape_timeout_seconds): part of what it ingests.
 */
export const SYNTHETIC_PER_SCRAPE: Record<TargetKind, number> = { builtin: 0, prometheus: 5, 'victoria-metrics': 6, influxdb: 0, exec: 0, url: 0 };

const DEFAULT_BINARY = { prometheus: 'prometheus', 'victoria-metrics': 'victoria-metrics', influxdb: 'influxd' } as const;

export function parseTarget(text: string): TargetSpec {
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (head) {
    case 'builtin':
      if (rest) throw usage(`--target builtin takes no argument (got "${text}")`);
      return { kind: 'builtin' };
    case 'prometheus':
    case 'victoria-metrics':
    case 'influxdb':
      return { kind: head, binary: rest || DEFAULT_BINARY[head] };
    case 'exec': {
      if (!rest.trim()) throw usage('--target exec: needs a command line (exec:\'my-scraper --config {file_sd}\')');
      checkPlaceholders(rest);
      const argv = splitWords(rest, '--target exec');
      if (argv.length === 0 || argv[0] === '') throw usage(`--target exec: the command line names no program (got "${rest}")`);
      return { kind: 'exec', command: rest, argv };
    }
    case 'url': {
      let u: URL;
      try {
        u = new URL(rest);
      } catch {
        throw usage(`--target url: needs a metrics URL (got "${rest}")`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`--target url: needs an http(s) URL (got "${rest}")`);
      return { kind: 'url', url: rest };
    }
    default:
      throw usage(`--target "${text}": one of builtin, prometheus[:<binary>], victoria-metrics[:<binary>], influxdb[:<influxd binary>] (with --push), exec:<command>, url:<metrics url>`);
  }
}

/** The name a compare row or a report gives the target. */
export function targetLabel(t: TargetSpec): string {
  switch (t.kind) {
    case 'builtin':
      return 'builtin';
    case 'prometheus':
    case 'victoria-metrics':
    case 'influxdb':
      return t.binary === DEFAULT_BINARY[t.kind] ? t.kind : `${t.kind}:${t.binary}`;
    case 'exec':
      return `exec:${t.argv[0]}`;
    case 'url':
      return `url:${t.url}`;
  }
}

/** `{name}` placeholders of an exec: command; an unknown one is a usage error naming it. */
export function checkPlaceholders(command: string): void {
  for (const m of command.matchAll(/\{([^{}\s]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      throw usage(`--target exec: unknown placeholder {${m[1]}} at column ${m.index! + 1} of the command (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    }
  }
}

/**
 * The exec: argv with every placeholder filled inside its word: a value is one argument (or
 * part of one), whatever spaces, quotes or `$` it holds; it is never split or read again.
 */
export function fillPlaceholders(argv: readonly string[], values: Record<Placeholder, string>): string[] {
  return argv.map((word) => {
    checkPlaceholders(word);
    return word.replace(/\{([a-z_]+)\}/g, (_, k: Placeholder) => values[k]);
  });
}

/** `--env K=V`, repeatable: the target's environment additions. */
export function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.slice(0, eq))) throw usage(`--env "${p}": expected NAME=value`);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

function usage(message: string): PromsoakError {
  return new PromsoakError('PROMSOAK_USAGE', message);
}
