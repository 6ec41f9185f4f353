import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { makeOutDir } from '../common/out-dir.js';
import { basename, dirname, join } from 'node:path';

/**
 * Service discovery for the fleet, in Prometheus's file_sd / http_sd shape: one target
 * group per exporter, on its serving thread's host:port, told apart by __metrics_path__, each with its
 * own instance label (else every exporter's series would collide in the scraper's head).
 */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * Groups for the ids given, spread over the serving threads' ports: the i-th id on
 * ports[i mod ports.length], so each thread serves its share and a scraper's one connection
 * per target lands on the thread that renders it.
 */
export function targetGroupsOn(host: string, ports: readonly number[], ids: readonly number[]): TargetGroup[] {
  const targets = ports.map((p) => hostPort(host, p));
  return ids.map((id, i) => ({
    targets: [targets[i % targets.length]!],
    labels: { __metrics_path__: exporterPath(id), instance: `exporter-${id}`, exporter: String(id) },
  }));
}

/** `host:port`, an IPv6 address in brackets (`[::1]:9400`), as Prometheus targets and URLs want. */
export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The host targets should carry for a fleet listening on `listen`: itself, except for a
 * wildcard (every interface), which no scraper can connect to: this machine's hostname then
 * (`--advertise` overrides it, e.g. a pod's IP on Kubernetes).
 */
export function advertisedHost(listen: string): string {
  return listen === '0.0.0.0' || listen === '::' ? hostname() : listen;
}

export function exporterPath(id: number): string {
  return `/exporters/${id}/metrics`;
}

/** Writes `file_sd.json` into `dir` (created if needed) and returns its path. */
export function writeFileSd(dir: string, groups: readonly TargetGroup[]): string {
  makeOutDir(dir);
  const path = join(dir, 'file_sd.json');
  writeSdFile(path, groups);
  return path;
}

/**
 * Writes a file_sd file whole: into a temporary file beside it, renamed over it, so a scraper
 * watching it (Prometheus through fsnotify, VictoriaMetrics on its check interval, the engine on
 * `retarget`) reads the old list or the new one, never half of one.
 */
export function writeSdFile(path: string, groups: readonly TargetGroup[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify(groups, null, 1) + '\n', { flag: 'w' });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // not there
    }
    throw e;
  }
}
