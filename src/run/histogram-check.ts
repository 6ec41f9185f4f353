import { inflateSync } from 'node:zlib';
import * as hdr from 'hdr-histogram-js';
import { SCRAPE_HISTOGRAM } from '../common/defaults.js';

/** hdr-histogram's V2 cookies: compressed, and the encoding inside. */
const COMPRESSED_COOKIE = 0x1c849314;
const ENCODING_COOKIE = 0x1c849313;
/** A scrape histogram as run/frames.ts writes it inflates to a few KiB; this is far above any. */
const MAX_INFLATED = 1 << 20;

/**
 * Whether a frame's scrapeHistogram is one promsoak writes (hdr-histogram-js
 * encodeIntoCompressedBase64 of a SCRAPE_HISTOGRAM): the header is read first, inflated with a
 * bound, so a crafted one can neither make the decoder allocate by its declared range nor
 * inflate without end; then it is decoded once to see that it does.
 */
export function isScrapeHistogram(base64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return false;
  const raw = Buffer.from(base64, 'base64');
  if (raw.length < 8 || raw.readUInt32BE(0) !== COMPRESSED_COOKIE) return false;
  let body: Buffer;
  try {
    body = inflateSync(raw.subarray(8), { maxOutputLength: MAX_INFLATED });
  } catch {
    return false;
  }
  if (body.length < 40 || body.readUInt32BE(0) !== ENCODING_COOKIE) return false;
  if (body.readUInt32BE(4) > body.length - 40) return false;
  if (body.readInt32BE(12) !== SCRAPE_HISTOGRAM.numberOfSignificantValueDigits) return false;
  if (body.readBigInt64BE(16) !== BigInt(SCRAPE_HISTOGRAM.lowestDiscernibleValue)) return false;
  if (body.readBigInt64BE(24) !== BigInt(SCRAPE_HISTOGRAM.highestTrackableValue)) return false;
  try {
    const h = hdr.decodeFromCompressedBase64(base64);
    const ok = Number.isFinite(h.totalCount) && h.totalCount >= 0;
    h.destroy();
    return ok;
  } catch {
    return false;
  }
}
