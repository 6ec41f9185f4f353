import { existsSync } from 'node:fs';
import { DEFAULTS } from '../common/defaults.js';
import { PromsoakError } from '../common/errors.js';
import { positiveInt } from '../common/options.js';
import type { TargetInfo } from '../analysis/summary.js';
import { parseSelector } from '../telemetry/target-metrics.js';
import { binaryVersion, resolveBinary } from './target-process.js';
import { parseEnv, parseTarget, targetLabel, type TargetSpec } from './target-spec.js';

/** The soak options that say or touch what is under test (SoakOptions has them all). */
export interface TargetOptions {
  target?: string;
  /** `--push`: a url: target is then a receiver the soak's own fleet pushes to. */
  push?: string;
  targetMetrics?: string;
  targetSamples?: string;
  pid?: number;
  env?: string[];
  /** Fleets already running (--fleet): a url: target scrapes one of them, not the soak's own. */
  fleet?: string;
  /** The built-in engine's own flags: refused with another target. */
  ingester?: string;
  v8Flags?: string[];
  nodePath?: string;
  bodyLimitBytes?: number;
  heap?: { at?: number[]; signal?: string; allocProfile?: boolean };
  /** Bytes kept of each of a launched target's log files (--target-log-limit). */
  targetLogLimitBytes?: number;
}

/** The system under test of a soak, checked before anything starts. */
export interface TargetPlan {
  spec: TargetSpec;
  /** builtin, prometheus, victoria-metrics, exec:<program>, url:<url>. */
  label: string;
  /** The launched program's full path (prometheus, victoria-metrics). */
  binary: string | null;
  version: string | null;
  /** --env, parsed. */
  env: Record<string, string>;
  pid: number | null;
  targetMetrics: string | undefined;
  targetSamples: string | undefined;
  /** Bytes kept of each log file of a launched target. */
  logLimitBytes: number;
  /** summary.json's run.target (flags and env filled in once launched). */
  info(nodePath: string | undefined, v8Flags: string[]): TargetInfo;
}

/**
 * Every target flag checked: the spec, --env, the samples selector, the exec template, the
 * binary (missing: exit 1), the pid; flags that only mean something to the built-in engine
 * are refused with another target, and the target flags without one.
 */
export function planTarget(o: TargetOptions): TargetPlan {
  const spec = parseTarget(o.target ?? 'builtin');
  const env = parseEnv(o.env ?? []);
  const only = (flag: string, given: boolean, kinds: TargetSpec['kind'][]): void => {
    if (given && !kinds.includes(spec.kind)) throw usage(`${flag} applies to --target ${kinds.join(' or ')} only (the target is ${spec.kind})`);
  };
  only('--target-metrics', o.targetMetrics !== undefined, ['exec', 'prometheus', 'victoria-metrics']);
  only('--target-samples', o.targetSamples !== undefined, ['exec', 'url', 'prometheus', 'victoria-metrics']);
  only('--pid', o.pid !== undefined, ['url']);
  only('--target-log-limit', o.targetLogLimitBytes !== undefined, ['exec', 'prometheus', 'victoria-metrics', 'influxdb']);
  positiveInt('--target-log-limit', o.targetLogLimitBytes, DEFAULTS.maxTargetLogLimitBytes);
  const engineOnly: [string, boolean][] = [
    ['--ingester', o.ingester !== undefined],
    ['--v8-flags', (o.v8Flags?.length ?? 0) > 0],
    ['--node', o.nodePath !== undefined],
    ['--body-limit', o.bodyLimitBytes !== undefined],
    ['--heap-snapshot-at', (o.heap?.at?.length ?? 0) > 0],
    ['--heap-snapshot-on', o.heap?.signal !== undefined],
    ['--alloc-profile', o.heap?.allocProfile === true],
  ];
  for (const [flag, given] of engineOnly) only(flag, given, ['builtin']);
  if (spec.kind === 'exec') {
    if (o.targetMetrics === undefined) throw usage("--target exec: needs --target-metrics, where its metrics are (e.g. 'http://127.0.0.1:{port}/metrics')");
    if (o.targetSamples === undefined) throw usage('--target exec: needs --target-samples, the counter of samples it ingested');
    try {
      new URL(o.targetMetrics.replaceAll('{port}', '1'));
    } catch {
      throw usage(`--target-metrics "${o.targetMetrics}" is not a URL (a template may use {port})`);
    }
  }
  if (spec.kind === 'url' && o.targetSamples === undefined) throw usage('--target url: needs --target-samples, the counter of samples it ingested');
  // A scraper already running scrapes a fleet already running: the soak's own new fleet would
  // be on a port it has never heard of.
  // Pushed, the fleet is the soak's own: it sends to --push-url.
  if (spec.kind === 'url' && o.fleet === undefined && o.push === undefined) throw usage('--target url: needs --fleet <url>, the promsoak fleet that scraper scrapes (promsoak fleet prints its URL)');
  if (o.targetSamples !== undefined) parseSelector(o.targetSamples);
  let pid: number | null = null;
  if (o.pid !== undefined) {
    pid = positiveInt('--pid', o.pid);
    if (!existsSync(`/proc/${pid}/stat`)) throw usage(`--pid ${pid}: no such process on this machine`);
  }
  // An exec: program that is not there is said now (spawned without a shell, it would only be an ENOENT at start).
  if (spec.kind === 'exec') resolveBinary(spec.argv[0]!, 'exec');
  const launched = spec.kind === 'prometheus' || spec.kind === 'victoria-metrics' || spec.kind === 'influxdb';
  const binary = launched ? resolveBinary(spec.binary, spec.kind) : null;
  // VictoriaMetrics answers -version; influxd `version`; Prometheus --version.
  const version = binary ? binaryVersion(binary, spec.kind === 'victoria-metrics' ? '-version' : spec.kind === 'influxdb' ? 'version' : '--version') : null;
  const label = targetLabel(spec);
  return {
    spec,
    label,
    binary,
    version,
    env,
    pid,
    targetMetrics: o.targetMetrics,
    targetSamples: o.targetSamples,
    logLimitBytes: o.targetLogLimitBytes ?? DEFAULTS.targetLogLimitBytes,
    info: (nodePath, v8Flags) =>
      spec.kind === 'builtin'
        ? { kind: 'builtin', binary: nodePath ?? process.execPath, version: null, flags: v8Flags, env, metricsUrl: null, samples: null, pid: null, gcTraced: true }
        : { kind: spec.kind, binary: binary ?? (spec.kind === 'exec' ? spec.command : null), version, flags: [], env, metricsUrl: spec.kind === 'url' ? spec.url : null, samples: o.targetSamples ?? null, pid, gcTraced: false },
  };
}

function usage(message: string): PromsoakError {
  return new PromsoakError('PROMSOAK_USAGE', message);
}
