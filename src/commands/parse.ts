import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { fileError, ParseError, PromsoakError, ScrapeError } from '../common/errors.js';
import { Entry, formatOf, parserFor, type ExpositionFormat } from '../engine/parse/index.js';

export interface ParseCommandOptions {
  /** A file path, or an http(s) URL on loopback. */
  source: string;
  /** Overrides the format taken from the Content-Type (URLs) or the file extension. */
  format?: ExpositionFormat;
}

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
  const { body, format } = await loadExposition(o.source, o.format);
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
export async function loadExposition(source: string, format?: ExpositionFormat): Promise<Exposition> {
  if (!/^https?:\/\//i.test(source)) {
    let body: Buffer;
    try {
      body = readFileSync(source);
    } catch (e) {
      throw fileError(source, e);
    }
    return { body, format: format ?? formatOfPath(source) };
  }
  const url = new URL(source);
  if (!isLoopback(url.hostname)) {
    throw new PromsoakError('PROMSOAK_USAGE', `parse fetches loopback URLs only (127.0.0.0/8, ::1, localhost); got host ${url.hostname}`);
  }
  let res;
  try {
    res = await request(url, { headers: { accept: ACCEPT[format ?? 'any'] }, headersTimeout: 10_000, bodyTimeout: 30_000 });
  } catch (e) {
    throw new ScrapeError(`${source}: ${(e as Error).message}`);
  }
  const body = new Uint8Array(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new ScrapeError(`${source}: HTTP status ${res.statusCode}`);
  const ct = res.headers['content-type'];
  return { body, format: format ?? formatOf(Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? '')) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
