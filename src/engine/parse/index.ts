import { OpenMetricsParser } from './openmetrics-parser.js';
import { TextParser } from './text-parser.js';
import type { ExpositionFormat, Parser } from './types.js';

export { OpenMetricsParser } from './openmetrics-parser.js';
export { TextParser } from './text-parser.js';
export { Entry, MetricType, type ExpositionFormat, type Parser } from './types.js';

/** The exposition format a Content-Type names: OpenMetrics for application/openmetrics-text, else text 0.0.4. */
export function formatOf(contentType: string): ExpositionFormat {
  return /^\s*application\/openmetrics-text\s*(;|$)/i.test(contentType) ? 'openmetrics' : 'text';
}

export function parserFor(format: ExpositionFormat): Parser {
  return format === 'openmetrics' ? new OpenMetricsParser() : new TextParser();
}

/** A parser for a scrape's Content-Type (application/openmetrics-text → OpenMetrics, else text). */
export function createParser(contentType: string): Parser {
  return parserFor(formatOf(contentType));
}
