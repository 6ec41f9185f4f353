import { writeFileSync } from 'node:fs';
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

export function targetGroups(host: string, port: number, exporters: number): TargetGroup[] {
  const groups: TargetGroup[] = new Array(exporters);
  for (let i = 0; i < exporters; i++) {
    groups[i] = {
      targets: [`${host}:${port}`],
      labels: { __metrics_path__: exporterPath(i), instance: `exporter-${i}`, exporter: String(i) },
    };
  }
  return groups;
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
