import { PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';

/** One scrape target from file_sd, after Prometheus's relabelling defaults (scheme, __metrics_path__). */
export interface ScrapeTarget {
  /** `scheme://host:port/path`: unique per target; the ingester's target key and the self-metrics label. */
  id: string;
  /** `scheme://host:port`. */
  origin: string;
  /** Path and query to scrape. */
  path: string;
  /** The group's labels without the `__`-prefixed ones (instance, job, …). */
  labels: Record<string, string>;
}

/** The largest file_sd read: the fleet's for 100,000 exporters is ~17 MiB. */
export const FILE_SD_MAX_BYTES = 64 * 2 ** 20;

/** Reads a Prometheus file_sd JSON file: `[{ "targets": ["host:port"], "labels": {…} }, …]`; a FIFO or /dev/zero is refused at once. */
export function readFileSd(path: string): ScrapeTarget[] {
  const text = readRegularFile(path, { maxBytes: FILE_SD_MAX_BYTES, what: 'a file_sd targets file', code: 'PROMSOAK_TARGETS_INVALID' }).toString('utf8');
  return parseFileSd(text, path);
}

export function parseFileSd(text: string, path = '<file_sd>'): ScrapeTarget[] {
  const bad = (what: string): PromsoakError => new PromsoakError('PROMSOAK_TARGETS_INVALID', `${path}: ${what}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw bad('expected a JSON array of target groups ({ "targets": [...], "labels": {...} })');
  const out: ScrapeTarget[] = [];
  const seen = new Set<string>();
  // One string per origin, not one per target: a fleet is one origin for 5000 targets (docs/heap.md).
  const origins = new Map<string, string>();
  data.forEach((g: unknown, gi: number) => {
    if (typeof g !== 'object' || g === null) throw bad(`group ${gi} must be an object`);
    const group = g as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(group.targets) || !group.targets.every((t) => typeof t === 'string' && t !== '')) {
      throw bad(`group ${gi}: "targets" must be an array of "host:port" strings`);
    }
    const labels = group.labels ?? {};
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw bad(`group ${gi}: "labels" must be an object`);
    for (const [k, v] of Object.entries(labels)) if (typeof v !== 'string') throw bad(`group ${gi}: label ${k} must be a string`);
    const l = labels as Record<string, string>;
    const scheme = l.__scheme__ ?? 'http';
    if (scheme !== 'http' && scheme !== 'https') throw bad(`group ${gi}: __scheme__ must be http or https (got ${scheme})`);
    let metricsPath = l.__metrics_path__ ?? '/metrics';
    // The path goes into the request line as it is: a control character or a space there
    // would inject headers or a second request into the scraped server (CRLF smuggling).
    if (/[\x00-\x20\x7f]/.test(metricsPath)) throw bad(`group ${gi}: __metrics_path__ ${JSON.stringify(metricsPath.slice(0, 60))} holds a control character or a space`);
    if (!metricsPath.startsWith('/')) metricsPath = '/' + metricsPath;
    const plain: Record<string, string> = {};
    for (const [k, v] of Object.entries(l)) if (!k.startsWith('__')) plain[k] = v;
    for (const hostPort of group.targets as string[]) {
      if (/[/\s\x00-\x1f\x7f@?#]/.test(hostPort) || !/:\d+$/.test(hostPort)) throw bad(`group ${gi}: target ${JSON.stringify(hostPort.slice(0, 60))} must be host:port`);
      let origin = `${scheme}://${hostPort}`;
      origin = origins.get(origin) ?? (origins.set(origin, origin), origin);
      const id = origin + metricsPath;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, origin, path: metricsPath, labels: { instance: hostPort, ...plain } });
    }
  });
  return out;
}
