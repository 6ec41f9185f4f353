/**
 * The fleet's HTTP/1.1 request reader: one request head parsed from bytes, in place, with no
 * string made for an exporter's scrape (the hot path: one per scrape, thousands a second per
 * thread). It takes what scrapers send (GET or HEAD, origin-form target, HTTP/1.0 or 1.1,
 * CRLF lines, no body) and refuses the rest with the status a server owes them; the
 * connection is closed after any refusal, so a request the reader misjudged can never be
 * taken for the next one (no smuggling).
 */

/** The most a request head may take, request line and headers (Node's default maxHeaderSize). */
export const MAX_HEAD_BYTES = 16 * 1024;

export const enum Parsed {
  /** Not a whole head yet: wait for more bytes (or refuse 431 past MAX_HEAD_BYTES). */
  Incomplete = 0,
  Ok = 1,
  /** A head the fleet refuses: `status` and `reason` say why. */
  Bad = 2,
}

export const enum Method {
  Get = 0,
  Head = 1,
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const COLON = 0x3a;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const CRLF2 = Buffer.from('\r\n\r\n');
const EXPORTERS = Buffer.from('/exporters/');
const METRICS = Buffer.from('/metrics');
const HTTP1 = Buffer.from('HTTP/1.');
const ACCEPT = Buffer.from('accept');
const CONNECTION = Buffer.from('connection');
const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const CLOSE = Buffer.from('close');
const KEEP_ALIVE = Buffer.from('keep-alive');

/** Bytes a header name may hold (RFC 9110 tchar): anything else, white space before the colon included, is a 400. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
/** Bytes a header value may hold: HTAB, SP, visible ASCII and obs-text; never NUL, a bare CR or another control. */
const VCHAR = new Uint8Array(256);
for (let c = 0x20; c < 0x100; c++) VCHAR[c] = c === 0x7f ? 0 : 1;
VCHAR[0x09] = 1;

/** One request head; reused for every request of a thread (fields overwritten by each parse). */
export class RequestHead {
  /** Past the blank line that ends the head: where the next request starts. */
  headEnd = 0;
  method: Method = Method.Get;
  /** The request target's path (without its query): [pathStart, pathEnd). */
  pathStart = 0;
  pathEnd = 0;
  /** `/exporters/<id>/metrics`'s id, or −1 for any other path. */
  exporter = -1;
  /** The Accept header's value [acceptStart, acceptEnd), or −1 when absent. */
  acceptStart = -1;
  acceptEnd = -1;
  /** The client asked to close after this response (HTTP/1.0 without keep-alive, or `Connection: close`). */
  close = false;
  /** With Parsed.Bad: the status to answer and one line of why. */
  status = 0;
  reason = '';

  /** Parses the head starting at `start` in `b[start, end)`. */
  parse(b: Buffer, start: number, end: number): Parsed {
    const stop = b.indexOf(CRLF2, start);
    if (stop < 0 || stop + 4 > end) {
      if (end - start > MAX_HEAD_BYTES) return this.bad(431, `request head over ${MAX_HEAD_BYTES} bytes`);
      return Parsed.Incomplete;
    }
    if (stop + 4 - start > MAX_HEAD_BYTES) return this.bad(431, `request head over ${MAX_HEAD_BYTES} bytes`);
    this.headEnd = stop + 4;
    this.exporter = -1;
    this.acceptStart = this.acceptEnd = -1;
    // Request line: METHOD SP target SP HTTP/1.x CRLF
    const lineEnd = b.indexOf(LF, start);
    if (lineEnd < start + 1 || b[lineEnd - 1] !== CR) return this.bad(400, 'malformed request line');
    const sp1 = b.indexOf(SP, start);
    if (sp1 < 0 || sp1 >= lineEnd) return this.bad(400, 'malformed request line');
    const m = sp1 - start;
    if (m === 3 && b[start] === 0x47 && b[start + 1] === 0x45 && b[start + 2] === 0x54) this.method = Method.Get;
    else if (m === 4 && b[start] === 0x48 && b[start + 1] === 0x45 && b[start + 2] === 0x41 && b[start + 3] === 0x44) this.method = Method.Head;
    else return this.bad(405, 'only GET and HEAD are served');
    const t = sp1 + 1;
    const sp2 = b.indexOf(SP, t);
    if (sp2 < 0 || sp2 >= lineEnd || b[t] !== SLASH) return this.bad(400, 'malformed request target (an origin-form path is expected)');
    // HTTP/1.0 or HTTP/1.1, then CRLF
    if (lineEnd - 1 - (sp2 + 1) !== 8 || b.compare(HTTP1, 0, 7, sp2 + 1, sp2 + 8) !== 0) return this.bad(505, 'only HTTP/1.0 and HTTP/1.1 are served');
    const minor = b[sp2 + 8];
    if (minor !== 0x30 && minor !== 0x31) return this.bad(505, 'only HTTP/1.0 and HTTP/1.1 are served');
    let keepAlive = minor === 0x31;
    for (let i = t; i < sp2; i++) if (b[i]! <= SP || b[i] === 0x7f) return this.bad(400, 'a control byte in the request target');
    const q = b.indexOf(QUESTION, t);
    this.pathStart = t;
    this.pathEnd = q >= 0 && q < sp2 ? q : sp2;
    this.exporter = exporterId(b, this.pathStart, this.pathEnd);
    // Headers: name ":" value CRLF, up to the blank line at `stop`.
    let at = lineEnd + 1;
    while (at < stop + 2) {
      const eol = b.indexOf(LF, at);
      if (eol < 0 || b[eol - 1] !== CR) return this.bad(400, 'malformed header line');
      const colon = b.indexOf(COLON, at);
      if (colon <= at || colon > eol) return this.bad(400, 'malformed header line');
      // A folded line (leading white space), white space before the colon, any byte a token
      // lacks: another reader may take the name differently (a Content-Length it hides).
      for (let i = at; i < colon; i++) if (TCHAR[b[i]!] === 0) return this.bad(400, 'malformed header name');
      for (let i = colon + 1; i < eol - 1; i++) if (VCHAR[b[i]!] === 0) return this.bad(400, 'a control byte in a header value');
      let vs = colon + 1;
      let ve = eol - 1;
      while (vs < ve && (b[vs] === SP || b[vs] === 0x09)) vs++;
      while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === 0x09)) ve--;
      const n = colon - at;
      if (nameIs(b, at, n, ACCEPT)) {
        this.acceptStart = vs;
        this.acceptEnd = ve;
      } else if (nameIs(b, at, n, CONNECTION)) {
        if (hasToken(b, vs, ve, CLOSE)) keepAlive = false;
        else if (hasToken(b, vs, ve, KEEP_ALIVE)) keepAlive = true;
      } else if (nameIs(b, at, n, CONTENT_LENGTH)) {
        for (let i = vs; i < ve; i++) if (b[i] !== 0x30) return this.bad(413, 'a request body is not accepted');
        if (vs === ve) return this.bad(400, 'empty Content-Length');
      } else if (nameIs(b, at, n, TRANSFER_ENCODING)) {
        return this.bad(413, 'a request body is not accepted');
      }
      at = eol + 1;
    }
    this.close = !keepAlive;
    return Parsed.Ok;
  }

  /** The path as a string: only for the paths that are not an exporter's (rare). */
  path(b: Buffer): string {
    return b.toString('latin1', this.pathStart, this.pathEnd);
  }

  /** The Accept header's value, or undefined without one (negotiation's cache key). */
  accept(b: Buffer): string | undefined {
    return this.acceptStart < 0 ? undefined : b.toString('latin1', this.acceptStart, this.acceptEnd);
  }

  private bad(status: number, reason: string): Parsed {
    this.status = status;
    this.reason = reason;
    this.close = true;
    return Parsed.Bad;
  }
}

/** `/exporters/<1..9 digits>/metrics` → the id; anything else → −1. */
function exporterId(b: Buffer, s: number, e: number): number {
  const digitsStart = s + EXPORTERS.length;
  if (e - s < EXPORTERS.length + 1 + METRICS.length || b.compare(EXPORTERS, 0, EXPORTERS.length, s, digitsStart) !== 0) return -1;
  const digitsEnd = e - METRICS.length;
  if (digitsEnd - digitsStart > 9 || b.compare(METRICS, 0, METRICS.length, digitsEnd, e) !== 0) return -1;
  let id = 0;
  for (let i = digitsStart; i < digitsEnd; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    id = id * 10 + d;
  }
  return id;
}

/** Whether the header name b[at, at+n) is `lower` (ASCII, case-insensitive). */
function nameIs(b: Buffer, at: number, n: number, lower: Buffer): boolean {
  if (n !== lower.length) return false;
  for (let i = 0; i < n; i++) if ((b[at + i]! | 0x20) !== lower[i]) return false;
  return true;
}

/** Whether the comma-separated value b[s, e) holds `lower` as a token (case-insensitive). */
function hasToken(b: Buffer, s: number, e: number, lower: Buffer): boolean {
  let i = s;
  while (i < e) {
    while (i < e && (b[i] === SP || b[i] === 0x09 || b[i] === 0x2c)) i++;
    let j = i;
    while (j < e && b[j] !== 0x2c) j++;
    let k = j;
    while (k > i && (b[k - 1] === SP || b[k - 1] === 0x09)) k--;
    if (nameIs(b, i, k - i, lower)) return true;
    i = j + 1;
  }
  return false;
}
