import { request } from 'undici';
import { ParseError, PromsoakError, ScrapeError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { Entry, formatOf, parserFor, type ExpositionFormat } from '../engine/parse/index.js';
import { positiveInt, seconds } from '../common/options.js';

export interface ParseCommandOptions {
  /** A file path, or an http(s) URL on loopback. */
  source: string;
  /** Overrides the format taken from the Content-Type (URLs) or the file extension. */
  format?: ExpositionFormat;
  /** URLs: the whole fetch's deadline, seconds (default 30): an endless body stops there. */
  timeoutSeconds?: number;
  /** The largest body read, bytes (default 64 MiB): a URL's, or a file's (a regular file: /dev/zero or a FIFO is refused). */
  bodyLimitBytes?: number;
}

export const PARSE_FETCH_DEFAULTS = { timeoutSeconds: 30, bodyLimitBytes: 64 * 2 ** 20 };

export interface Exposition {
  body: Uint8Array;
  format: ExpositionFormat;
}

/** One sample as `promsoak parse` prints it (the conformance test's python prints the same). */
export interface SampleJson {
  name: string;
  labels: Record<string, string>;
  /** A number when finite, else "NaN", "+Inf" or "-Inf" (JSON has no such numbers). */
  value: number | string;
  /** Milliseconds, only when the sample has one. */
  timestamp?: number;
}

/** `promsoak parse`: prints every sample of an exposition as one JSON object per line. Returns the count. */
export async function parseCommand(o: ParseCommandOptions, log: (line: string) => void): Promise<number> {
  const { body, format } = await loadExposition(o.source, o.format, o);
  try {
    return forEachSample(body, format, (s) => log(JSON.stringify(s)));
  } catch (e) {
    if (e instanceof ParseError) {
      const err = new PromsoakError('PROMSOAK_PARSE', `${o.source}: ${e.message}`);
      err.cause = e;
      throw err;
    }
    throw e;
  }
}

/** Parses body and calls `each` per sample; throws ParseError on malformed input. */
export function forEachSample(body: Uint8Array, format: ExpositionFormat, each: (s: SampleJson) => void): number {
  const p = parserFor(format);
  p.reset(body);
  const pairs: [string, string][] = [];
  let n = 0;
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e !== Entry.Series) continue;
    // A null prototype: a label called __proto__ stays a label.
    const labels = Object.create(null) as Record<string, string>;
    for (const [k, v] of p.labels(pairs)) labels[k] = v;
    const v = p.value;
    const s: SampleJson = { name: p.metricName(), labels, value: Number.isFinite(v) ? v : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN' };
    if (p.timestampMs === p.timestampMs) s.timestamp = p.timestampMs;
    each(s);
    n++;
  }
  return n;
}

/** Format by file name: `.om.txt` / `.om` → OpenMetrics, anything else text. */
export function formatOfPath(path: string): ExpositionFormat {
  return /\.om(\.txt)?$/i.test(path) ? 'openmetrics' : 'text';
}

const ACCEPT = {
  any: 'application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  text: 'text/plain;version=0.0.4',
  openmetrics: 'application/openmetrics-text;version=1.0.0',
};

/** Reads a file or fetches a loopback URL (undici), with the format to parse it in. */
export async function loadExposition(source: string, format?: ExpositionFormat, limits: { timeoutSeconds?: number; bodyLimitBytes?: number } = {}): Promise<Exposition> {
  const limit = positiveInt('--body-limit', limits.bodyLimitBytes) ?? PARSE_FETCH_DEFAULTS.bodyLimitBytes;
  if (!/^https?:\/\//i.test(source)) {
    return { body: readRegularFile(source, { maxBytes: limit, what: 'an exposition to parse (--body-limit)' }), format: format ?? formatOfPath(source) };
  }
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new PromsoakError('PROMSOAK_USAGE', `${JSON.stringify(source.slice(0, 100))} is not a URL`);
  }
  if (!isLoopback(url.hostname)) {
    throw new PromsoakError('PROMSOAK_USAGE', `parse fetches loopback URLs only (127.0.0.0/8, ::1, localhost); got host ${url.hostname}`);
  }
  const timeoutSeconds = seconds('--timeout', limits.timeoutSeconds) ?? PARSE_FETCH_DEFAULTS.timeoutSeconds;
  // undici's bodyTimeout is between bytes: a body that keeps coming needs a deadline of its own,
  // cleared once the fetch is over (a signal that fires later would abort a finished request).
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutSeconds * 1000);
  const deadline = abort.signal;
  const header = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
  try {
    const res = await request(url, { headers: { accept: ACCEPT[format ?? 'any'], 'accept-encoding': 'identity' }, headersTimeout: 10_000, bodyTimeout: 10_000, signal: deadline });
    const encoding = header(res.headers['content-encoding']);
    if (res.statusCode !== 200 || (encoding !== '' && encoding.toLowerCase() !== 'identity') || Number(header(res.headers['content-length']) || 0) > limit) {
      // Destroying the body aborts the request: its error event has nothing left to tell.
      res.body.on('error', () => {});
      res.body.destroy();
      if (res.statusCode !== 200) throw new ScrapeError(`${source}: HTTP status ${res.statusCode}`);
      if (encoding !== '' && encoding.toLowerCase() !== 'identity') throw new ScrapeError(`${source}: the body is Content-Encoding ${encoding.slice(0, 40)}, though identity was asked`);
      throw new ScrapeError(`${source}: Content-Length ${header(res.headers['content-length']).slice(0, 20)} is over the body limit of ${limit} bytes (--body-limit)`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.on('error', () => {});
        res.body.destroy();
        throw new ScrapeError(`${source}: the body passed the limit of ${limit} bytes (--body-limit)`);
      }
      chunks.push(chunk);
    }
    return { body: new Uint8Array(Buffer.concat(chunks, size)), format: format ?? formatOf(header(res.headers['content-type'])) };
  } catch (e) {
    if (e instanceof PromsoakError) throw e;
    if (deadline.aborted) throw new ScrapeError(`${source}: not done within ${timeoutSeconds} s (--timeout)`);
    throw new ScrapeError(`${source}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
