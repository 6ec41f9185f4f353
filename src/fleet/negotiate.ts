import type { Format } from './render/layout.js';

/**
 * Picks the exposition format from an Accept header the way client_golang's expfmt
 * Negotiate does: the highest-q media range we can serve wins, OpenMetrics on ties only
 * when listed first; absent or unknown → text 0.0.4. Prometheus 2.42 sends
 * `application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`.
 */
export function negotiate(accept: string | undefined): Format {
  if (!accept) return 'text';
  let best: Format = 'text';
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.split(';');
    const type = rawType!.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k!.trim() === 'q') q = Number(v);
    }
    if (!(q > 0)) continue;
    const format: Format | undefined =
      type === 'application/openmetrics-text' ? 'openmetrics' : type === 'text/plain' || type === '*/*' || type === 'text/*' ? 'text' : undefined;
    if (format && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}
