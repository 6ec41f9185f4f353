import { writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { makeOutDir } from '../common/out-dir.js';
import { join } from 'node:path';

/**
 * Service discovery for the fleet, in Prometheus's file_sd / http_sd shape: one target
 * group per exporter, all on one host:port, told apart by __metrics_path__, each with its
 * own instance label (else every exporter's series would collide in the scraper's head).
 */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Groups for exporters 0..n−1 (a number), or for the ids given (a shard's). */
export function targetGroups(host: string, port: number, exporters: number | readonly number[]): TargetGroup[] {
  const ids = typeof exporters === 'number' ? Array.from({ length: exporters }, (_, i) => i) : exporters;
  const target = hostPort(host, port);
  return ids.map((i) => ({
    targets: [target],
    labels: { __metrics_path__: exporterPath(i), instance: `exporter-${i}`, exporter: String(i) },
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
export function writeFileSd(dir: string, groups: TargetGroup[]): string {
  makeOutDir(dir);
  const path = join(dir, 'file_sd.json');
  writeFileSync(path, JSON.stringify(groups, null, 1) + '\n');
  return path;
}
