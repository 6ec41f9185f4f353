import { ScrapeError } from '../common/errors.js';

/**
 * HTTP/1.1 response heads, for the engine's connection (connection.ts): where the head ends,
 * the status, how the body is framed (Content-Length, Transfer-Encoding: chunked, or until
 * close), Content-Type, Connection and the Keep-Alive timeout hint.
 *
 * What it reads depends on the bytes alone (but for the Keep-Alive hint: see keepAliveHintMs).
 * It writes it into a `ResponseHead` that the caller owns and hands to every call (one per
 * connection), so a scrape allocates nothing here: the Content-Type string is made only when
 * its bytes differ from the last head's, the reason phrase only for a status other than 200.
 */

/** Response headers larger than this fail the scrape. */
export const MAX_HEAD = 65_536;

/** parseResponseHead: the empty line that ends the head is not in the bytes yet. */
export const NEED_MORE = -1;

const CR = 13;
const LF = 10;

/** What parseResponseHead read. Fields are valid after a call that returned a head length. */
export class ResponseHead {
  /** 100–599. An interim response (1xx other than 101) sets only this: its head is skipped, and another follows. */
  status = 0;
  /** The reason phrase ('OK' for 200, without reading it); '' when there is none. */
  statusText = '';
  /** The body's length: -1 for chunked or until close; 0 for 204 and 304. */
  contentLength = -1;
  /** Transfer-Encoding: chunked (wins over Content-Length; never for 204 or 304). */
  chunked = false;
  /** The connection may take another request: HTTP/1.1 or Connection: keep-alive, no Connection: close, and a body that does not run until close. */
  keepAlive = true;
  /**
   * ms from `Keep-Alive: timeout=N` (N s), -1 for a Keep-Alive header without a timeout. A head
   * without a Keep-Alive header leaves it as it was: the object lives as long as its connection,
   * and the server's last hint stands.
   */
  keepAliveHintMs = -1;
  /** The Content-Type value (latin1, trimmed); '' without one. The same string as the last head's when the bytes are the same. */
  contentType = '';
  /** The last Content-Type's bytes (up to 128), to reuse `contentType` (-1: none kept). */
  ctBytes = Buffer.allocUnsafeSlow(128);
  ctLen = -1;
}

/**
 * Reads the response head at the start of `h[0, end)` into `out`. Returns the head's length
 * (the bytes through its empty line; what follows is body, or after an interim 1xx the next
 * head), or NEED_MORE. Throws a ScrapeError for a malformed head, an unsupported
 * Transfer-Encoding, or a head that reaches MAX_HEAD bytes without ending.
 *
 * `scanFrom`: where to look for the empty line, for a caller that appends reads to `h` and
 * calls again: the previous call's `end` - 3 (lines end in CRLF or LF).
 */
export function parseResponseHead(h: Buffer, end: number, out: ResponseHead, scanFrom = 0): number {
  const stop = findHeadEnd(h, scanFrom, end);
  if (stop < 0) {
    if (end >= MAX_HEAD) throw new ScrapeError(`response headers larger than ${MAX_HEAD} bytes`);
    return NEED_MORE;
  }
  parseHead(h, stop, out);
  return stop;
}

function findHeadEnd(h: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (h[i] !== LF) continue;
    if (i + 1 < end && h[i + 1] === LF) return i + 2;
    if (i + 2 < end && h[i + 1] === CR && h[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** `end`: just after the empty line. */
function parseHead(h: Buffer, end: number, out: ResponseHead): void {
  // Status line: HTTP/1.x SP 3DIGIT SP reason
  let eol = h.indexOf(LF, 0);
  if (eol < 0 || eol > end) eol = end;
  if (eol < 12 || h[0] !== 0x48 || h[1] !== 0x54 || h[2] !== 0x54 || h[3] !== 0x50 || h[4] !== 0x2f || h[5] !== 0x31 || h[6] !== 0x2e) {
    throw new ScrapeError('malformed HTTP response: bad status line');
  }
  const minor = h[7]! - 0x30;
  const s0 = h[9]! - 0x30;
  const s1 = h[10]! - 0x30;
  const s2 = h[11]! - 0x30;
  if (s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) throw new ScrapeError('malformed HTTP response: bad status code');
  const status = s0 * 100 + s1 * 10 + s2;
  out.status = status;
  if (status >= 100 && status < 200 && status !== 101) return;
  out.statusText = status === 200 ? 'OK' : h.toString('latin1', Math.min(13, eol), h[eol - 1] === CR ? eol - 1 : eol);
  let contentLength = -1;
  let keepAlive = minor >= 1;
  let chunked = false;
  let ctStart = -1;
  let ctEnd = -1;
  let p = eol + 1;
  while (p < end) {
    let le = h.indexOf(LF, p);
    if (le < 0 || le > end) le = end;
    let lineEnd = le > p && h[le - 1] === CR ? le - 1 : le;
    if (lineEnd === p) break;
    const colon = h.indexOf(0x3a, p);
    if (colon > p && colon < lineEnd) {
      let vs = colon + 1;
      while (vs < lineEnd && (h[vs] === 0x20 || h[vs] === 0x09)) vs++;
      while (lineEnd > vs && (h[lineEnd - 1] === 0x20 || h[lineEnd - 1] === 0x09)) lineEnd--;
      const nameLen = colon - p;
      if (nameLen === 14 && nameIs(h, p, 'content-length')) {
        let v = 0;
        if (vs === lineEnd) throw new ScrapeError('malformed HTTP response: empty Content-Length');
        for (let k = vs; k < lineEnd; k++) {
          const d = h[k]! - 0x30;
          if (d < 0 || d > 9 || k - vs > 15) throw new ScrapeError('malformed HTTP response: bad Content-Length');
          v = v * 10 + d;
        }
        if (contentLength >= 0 && contentLength !== v) throw new ScrapeError('malformed HTTP response: conflicting Content-Length');
        contentLength = v;
      } else if (nameLen === 17 && nameIs(h, p, 'transfer-encoding')) {
        chunked = lineEnd - vs >= 7 && nameIs(h, lineEnd - 7, 'chunked');
        if (!chunked) throw new ScrapeError('unsupported Transfer-Encoding');
      } else if (nameLen === 12 && nameIs(h, p, 'content-type')) {
        ctStart = vs;
        ctEnd = lineEnd;
      } else if (nameLen === 10 && nameIs(h, p, 'connection')) {
        if (containsToken(h, vs, lineEnd, 'close')) keepAlive = false;
        else if (containsToken(h, vs, lineEnd, 'keep-alive')) keepAlive = true;
      } else if (nameLen === 10 && nameIs(h, p, 'keep-alive')) {
        out.keepAliveHintMs = keepAliveTimeoutHint(h, vs, lineEnd);
      } else if (nameLen === 16 && nameIs(h, p, 'content-encoding') && !(lineEnd - vs === 8 && nameIs(h, vs, 'identity'))) {
        // The request asked for identity: a compressed body would only show as garbage to
        // the parser. Say what it is (a short, printable excerpt of the header's value).
        const value = h.toString('latin1', vs, Math.min(lineEnd, vs + 40)).replace(/[^\x20-\x7e]/g, '?');
        throw new ScrapeError(`the body is Content-Encoding ${value}, though identity was asked`);
      }
    }
    p = le + 1;
  }
  if (ctStart >= 0) out.contentType = internContentType(out, h, ctStart, ctEnd);
  else {
    out.contentType = '';
    // internContentType returns `contentType` for the kept bytes: keep none, or the next head with them would read ''.
    out.ctLen = -1;
  }
  if (status === 204 || status === 304) {
    contentLength = 0;
    chunked = false;
  }
  if (chunked) contentLength = -1;
  // A body until close ends the connection.
  else if (contentLength < 0) keepAlive = false;
  out.contentLength = contentLength;
  out.chunked = chunked;
  out.keepAlive = keepAlive;
}

/** The Content-Type as a string, reusing the previous one when the bytes are the same. */
function internContentType(out: ResponseHead, h: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === out.ctLen && h.compare(out.ctBytes, 0, n, start, end) === 0) return out.contentType;
  const s = h.toString('latin1', start, end);
  if (n <= out.ctBytes.length) {
    h.copy(out.ctBytes, 0, start, end);
    out.ctLen = n;
  } else out.ctLen = -1;
  return s;
}

/** Case-insensitive comparison of h[p..] with a lower-case ASCII name. */
function nameIs(h: Buffer, p: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((h[p + k]! | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

function containsToken(h: Buffer, start: number, end: number, lower: string): boolean {
  for (let p = start; p + lower.length <= end; p++) if (nameIs(h, p, lower)) return true;
  return false;
}

/** `Keep-Alive: timeout=5, max=1000` → 5000 ms; -1 without a timeout. */
function keepAliveTimeoutHint(h: Buffer, start: number, end: number): number {
  for (let p = start; p + 8 <= end; p++) {
    if (!nameIs(h, p, 'timeout=')) continue;
    let v = 0;
    let k = p + 8;
    for (; k < end; k++) {
      const d = h[k]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    return k > p + 8 ? v * 1000 : -1;
  }
  return -1;
}
