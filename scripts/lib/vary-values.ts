import { Entry, parserFor } from '../../src/engine/parse/index.js';

/**
 * Consecutive scrapes of a real target differ only in values (and their lengths). A benchmark
 * that ingests the very same bytes again and again would let a scrape-to-scrape diff skip the
 * values too; these variants of a text body keep every byte but the values, which change
 * (integers grow by a few, floats drift, lengths change) as a counter or gauge would.
 * Variant 0 is the body itself. Test-and-benchmark helper; allocates freely.
 */
export function valueVariants(body: Uint8Array, count: number): Buffer[] {
  const p = parserFor('text');
  const spans: Array<[number, number, number]> = [];
  p.reset(body);
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e !== Entry.Series) continue;
    let s = p.seriesEnd;
    while (body[s] === 0x20 || body[s] === 0x09) s++;
    let v = s;
    while (v < body.length && body[v] !== 0x20 && body[v] !== 0x09 && body[v] !== 0x0a && body[v] !== 0x0d) v++;
    spans.push([s, v, p.value]);
  }
  const out: Buffer[] = [Buffer.from(body)];
  for (let k = 1; k < count; k++) {
    const parts: Buffer[] = [];
    let at = 0;
    for (const [s, v, value] of spans) {
      parts.push(Buffer.from(body.subarray(at, s)));
      parts.push(Buffer.from(vary(value, k)));
      at = v;
    }
    parts.push(Buffer.from(body.subarray(at)));
    out.push(Buffer.concat(parts));
  }
  return out;
}

function vary(v: number, k: number): string {
  if (!Number.isFinite(v)) return String(v).replace('Infinity', 'Inf');
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 52) return String(v + k * 37);
  return String(v * (1 + k * 0.013));
}
