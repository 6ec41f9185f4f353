import { Agent, request } from 'undici';
import { PromsoakError, ScrapeError } from '../common/errors.js';
import { Entry, parserFor, type ExpositionFormat } from '../engine/parse/index.js';
import { matches, parseSelector, type Selector } from './selector.js';

/**
 * The system under test's own /metrics (Prometheus's prometheus_tsdb_*, VictoriaMetrics's
 * vm_*, Go's go_*), read once a second beside the soak and parsed with promsoak's own
 * parser: what the scraper says it ingested, next to what promsoak offered it.
 */
export { parseSelector, type Matcher, type Selector } from './selector.js';

interface Series {
  labels: Record<string, string>;
  value: number;
}

/** One body parsed once, its series by metric name, for several selectors. */
export class MetricsSnapshot {
  private constructor(private readonly byName: ReadonlyMap<string, readonly Series[]>) {}

  /** Parses a whole body; throws ParseError (PROMSOAK_PARSE, line and column) on a malformed one. */
  static parse(body: Uint8Array, format: ExpositionFormat = sniffFormat(body)): MetricsSnapshot {
    const byName = new Map<string, Series[]>();
    const p = parserFor(format);
    p.reset(body);
    const pairs: [string, string][] = [];
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      if (e !== Entry.Series) continue;
      // A null prototype: a label called __proto__ or constructor stays a label.
      const labels = Object.create(null) as Record<string, string>;
      for (const [k, v] of p.labels(pairs)) labels[k] = v;
      const name = p.metricName();
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push({ labels, value: p.value });
    }
    return new MetricsSnapshot(byName);
  }

  /** The sum over every series the selector matches, or null when none does (absent is not 0). */
  select(sel: Selector): number | null {
    let sum = 0;
    let found = false;
    for (const term of sel.terms) {
      for (const s of this.byName.get(term.name) ?? []) {
        if (!matches(term.matchers, s.labels)) continue;
        sum += s.value;
        found = true;
      }
    }
    return found ? sum : null;
  }

  /**
   * A summary family (`name{quantile=…}`, `name_sum`, `name_count`), e.g. go_gc_duration_seconds;
   * `selector` narrows it by its other labels. Null when it is absent; a selector that leaves
   * several summaries (other label sets) is a usage error: their quantiles cannot be added.
   */
  summary(selector: string): { count: number; sum: number; quantiles: Record<string, number> } | null {
    const sel = parseSelector(selector);
    if (sel.terms.length !== 1) throw new PromsoakError('PROMSOAK_USAGE', `summary ${JSON.stringify(selector)}: one summary, not a sum of several`);
    const { name, matchers } = sel.terms[0]!;
    const count = this.select({ text: selector, terms: [{ name: `${name}_count`, matchers }] });
    const sum = this.select({ text: selector, terms: [{ name: `${name}_sum`, matchers }] });
    if (count === null || sum === null) return null;
    const groups = new Set<string>();
    const quantiles: Record<string, number> = {};
    for (const s of this.byName.get(`${name}_count`) ?? []) if (matches(matchers, s.labels)) groups.add(JSON.stringify(s.labels));
    if (groups.size > 1) throw new PromsoakError('PROMSOAK_USAGE', `summary ${JSON.stringify(selector)}: matches ${groups.size} label sets; narrow it with labels, e.g. ${name}{…}`);
    for (const s of this.byName.get(name) ?? []) {
      if (s.labels.quantile !== undefined && matches(matchers, s.labels)) quantiles[s.labels.quantile] = s.value;
    }
    return { count, sum, quantiles };
  }

  /** Each series of `name` by the value of its `label` (series without it left out); a value seen twice keeps the sum. */
  byLabel(name: string, label: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.byName.get(name) ?? []) {
      const v = s.labels[label];
      if (v !== undefined) out.set(v, (out.get(v) ?? 0) + s.value);
    }
    return out;
  }

  /** How many series the body held. */
  get size(): number {
    let n = 0;
    for (const list of this.byName.values()) n += list.length;
    return n;
  }
}

/** An OpenMetrics body ends with `# EOF` (required there, never written in text 0.0.4). */
export function sniffFormat(body: Uint8Array): ExpositionFormat {
  let end = body.length;
  while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x0d || body[end - 1] === 0x20)) end--;
  return end >= 5 && Buffer.from(body.buffer, body.byteOffset + end - 5, 5).toString('latin1') === '# EOF' ? 'openmetrics' : 'text';
}

const asSnapshot = (body: Uint8Array | MetricsSnapshot): MetricsSnapshot => (body instanceof MetricsSnapshot ? body : MetricsSnapshot.parse(body));

/** The sum over the series a selector matches, or null when none does. Parse once (MetricsSnapshot) for several selectors. */
export function selectValue(body: Uint8Array | MetricsSnapshot, sel: Selector): number | null {
  return asSnapshot(body).select(sel);
}

/** A summary's count, sum and quantiles (by the quantile label's text), or null when absent. */
export function summaryQuantiles(body: Uint8Array | MetricsSnapshot, selector: string): { count: number; sum: number; quantiles: Record<string, number> } | null {
  return asSnapshot(body).summary(selector);
}

/** The largest /metrics body read: Prometheus's own is ~50 KiB; a body this large is a fault. */
export const METRICS_BODY_LIMIT = 16 * 2 ** 20;

/** Its own connection pool: the soak's meta-scrape keeps one connection alive and caps bodies in undici itself. */
const dispatcher = new Agent({ maxResponseSize: METRICS_BODY_LIMIT, connections: 2 });

/**
 * GETs a metrics URL: the body, text 0.0.4 preferred and OpenMetrics taken (MetricsSnapshot.parse
 * tells them apart). Throws a ScrapeError, one line naming the URL and why: not 200, past
 * `timeoutMs` (headers and body), over 16 MiB, compressed, refused. `timing.headersAtMs`: when
 * the response's head arrived (wall clock): a client library gathers its metrics before it
 * writes the first byte, so that is when the figures were read, even when the body is slow.
 */
export async function fetchMetrics(url: string, timeoutMs: number, timing?: { headersAtMs?: number }): Promise<Buffer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await request(url, {
      dispatcher,
      signal: abort.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: { accept: 'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1', 'accept-encoding': 'identity' },
    });
    if (timing) timing.headersAtMs = Date.now();
    const encoding = String(res.headers['content-encoding'] ?? 'identity');
    if (res.statusCode !== 200 || encoding !== 'identity') {
      res.body.on('error', () => {});
      res.body.destroy();
      throw new ScrapeError(`${url}: ${res.statusCode !== 200 ? `HTTP status ${res.statusCode}` : `Content-Encoding ${encoding.slice(0, 40)}, though identity was asked`}`);
    }
    return Buffer.from(await res.body.arrayBuffer());
  } catch (e) {
    if (e instanceof ScrapeError) throw e;
    const code = (e as { code?: string }).code;
    // The deadline and undici's own timeouts are the same length: whichever fires first, one message.
    if (abort.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new ScrapeError(`${url}: no whole response within ${timeoutMs} ms`);
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw new ScrapeError(`${url}: the body is over ${METRICS_BODY_LIMIT} bytes`);
    throw new ScrapeError(`${url}: ${(e as Error).message}${code ? ` (${code})` : ''}`);
  } finally {
    clearTimeout(timer);
  }
}
