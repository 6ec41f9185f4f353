import { ParseError, SampleLimitError } from '../../common/errors.js';
import type { Ingester, IngesterOptions, IngestResult } from './ingester.js';

/**
 * The baseline: ingestion done the obvious way, the "before" of the 2017 article
 * ("Prometheus 2.0: new storage layer…", where the scrape path decoded every line into label
 * objects and a fresh key before the scrape cache existed). Body → string → split('\n') →
 * per sample line a labels object, a key string built from the sorted labels, a lookup in a
 * Map<string, Series>, values through Number(), samples kept in plain arrays. Correct on
 * text 0.0.4 and OpenMetrics (escapes, +Inf/NaN, timestamps, exemplars skipped), and
 * deliberately not optimised: it is what the cached ingester is measured against.
 * A scrape is parsed whole before anything is stored, so a failed one (ParseError, sample
 * limit) leaves nothing behind, as Prometheus rolls back its appender.
 */
interface NaiveSeries {
  name: string;
  labels: Record<string, string>;
  values: number[];
  timestamps: number[];
  lastScrape: number;
}

interface NaiveTarget {
  series: Map<string, NaiveSeries>;
  scrape: number;
}

export class NaiveIngester implements Ingester {
  readonly last: IngestResult = { samples: 0, seriesAdded: 0 };
  readonly targets = new Map<string, NaiveTarget>();

  constructor(private readonly options: IngesterOptions) {}

  ingest(body: Uint8Array, target: string, timestampMs: number, contentType: string): number {
    const openMetrics = /^\s*application\/openmetrics-text/i.test(contentType);
    this.last.samples = 0;
    this.last.seriesAdded = 0;
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    const lines = text.split('\n');
    const parsed: ParsedLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      if (line.startsWith('#')) {
        if (openMetrics && line === '# EOF') break;
        continue;
      }
      const s = parseLine(line, i + 1, openMetrics);
      if (this.options.sampleLimit > 0 && parsed.length >= this.options.sampleLimit) throw new SampleLimitError(this.options.sampleLimit);
      parsed.push(s);
    }
    let t = this.targets.get(target);
    if (!t) {
      t = { series: new Map(), scrape: 0 };
      this.targets.set(target, t);
    }
    const scrape = ++t.scrape;
    let samples = 0;
    let added = 0;
    for (const s of parsed) {
      const key = seriesKey(s.name, s.labels);
      let series = t.series.get(key);
      if (!series) {
        series = { name: s.name, labels: s.labels, values: [], timestamps: [], lastScrape: scrape };
        t.series.set(key, series);
        added++;
      }
      series.lastScrape = scrape;
      series.values.push(s.value);
      series.timestamps.push(Number.isNaN(s.timestampMs) ? timestampMs : s.timestampMs);
      if (series.values.length > this.options.headWindow) {
        series.values.shift();
        series.timestamps.shift();
      }
      samples++;
    }
    for (const [key, series] of t.series) if (series.lastScrape !== scrape) t.series.delete(key);
    this.last.samples = samples;
    this.last.seriesAdded = added;
    return samples;
  }

  stats(): { series: number } {
    let series = 0;
    for (const t of this.targets.values()) series += t.series.size;
    return { series };
  }

  close(): void {
    this.targets.clear();
  }
}

interface ParsedLine {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

/** The key of the naive way: metric name + labels sorted by name, rendered as a string. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  return name + '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',') + '}';
}

function parseLine(line: string, lineNo: number, openMetrics: boolean): ParsedLine {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
  const name = line.slice(0, i);
  if (name === '') throw new ParseError(lineNo, 1, 'metric name', JSON.stringify(line.slice(0, 10)));
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new ParseError(lineNo, i + 1, 'label name and "="', JSON.stringify(line.slice(i, i + 10)));
      const labelName = line.slice(i, eq).trim();
      i = eq + 1;
      if (line[i] !== '"') throw new ParseError(lineNo, i + 1, '"', JSON.stringify(line[i] ?? 'end of line'));
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new ParseError(lineNo, i + 1, 'closing quote', 'end of line');
        if (c === '"') break;
        if (c === '\\') {
          const n = line[i + 1];
          value += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' ? '"' : '\\' + (n ?? '');
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      labels[labelName] = value;
    }
  }
  let rest = line.slice(i).trim();
  if (openMetrics) {
    const exemplar = rest.indexOf(' # ');
    if (exemplar >= 0) rest = rest.slice(0, exemplar);
  }
  const fields = rest.split(/\s+/);
  if (fields[0] === undefined || fields[0] === '') throw new ParseError(lineNo, i + 1, 'value', 'end of line');
  const value = parseValue(fields[0]);
  if (Number.isNaN(value) && !/^[+-]?nan$/i.test(fields[0])) throw new ParseError(lineNo, i + 2, 'a number', JSON.stringify(fields[0]));
  let timestampMs = NaN;
  if (fields[1] !== undefined) {
    timestampMs = openMetrics ? Number(fields[1]) * 1000 : Number(fields[1]);
    if (Number.isNaN(timestampMs)) throw new ParseError(lineNo, line.length - fields[1].length + 1, 'a timestamp', JSON.stringify(fields[1]));
  }
  return { name, labels, value, timestampMs };
}

function parseValue(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
    default:
      return Number(s);
  }
}

export default function createNaiveIngester(options: IngesterOptions): NaiveIngester {
  return new NaiveIngester(options);
}
