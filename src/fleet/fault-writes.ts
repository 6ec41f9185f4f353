import type { Conn } from './http-connection.js';
import type { Body } from './body.js';
import { headBytes, writeHeadBefore } from './body-head.js';

/**
 * How a faulty exporter answers once its body is rendered (see faults.ts). The ones that end
 * with a whole response (truncated, malformed) count as served and give their buffer back
 * after a clean write; reset and oversized never do (the buffer is left to the collector).
 * A HEAD request gets the head the fault's GET would (its Content-Length) and no body: a body
 * after it would be read as the next response on a keep-alive connection.
 */

/** The middle line of body [s, e): its [start, end), end past its newline. */
function middleLine(b: Uint8Array, s: number, e: number): [number, number] {
  let start = b.indexOf(0x0a, s + ((e - s) >> 1)) + 1;
  if (start <= s || start >= e) start = s;
  // Skip comments: the cut or the garbage must land in a sample line.
  while (start < e && b[start] === 0x23) {
    const nl = b.indexOf(0x0a, start);
    start = nl < 0 || nl >= e ? e : nl + 1;
  }
  const end = b.indexOf(0x0a, start);
  return [start, end < 0 || end >= e ? e : end + 1];
}

/** A complete HTTP response whose exposition stops halfway through a sample line. */
export function sendTruncated(conn: Conn, body: Body, pool: Body[], counts: Float64Array): void {
  const b = body.scratch.buf;
  const [start, end] = middleLine(b, body.start, body.start + body.length);
  const cut = start + Math.max(1, (end - start) >> 1) - body.start;
  const from = writeHeadBefore(b, body.start, body.format, cut, conn.closeAfter);
  body.length = cut;
  body.arm(pool, counts);
  conn.write(new Uint8Array(b.buffer, from, (conn.headOnly ? body.start : body.start + cut) - from), body.sent);
}

const GARBAGE = Buffer.from('promsoak_injected_fault{{{ not a sample\n');

/** The body with a garbage line before its middle sample line. */
export function sendMalformed(conn: Conn, body: Body, pool: Body[], counts: Float64Array): void {
  const b = body.scratch.buf;
  const end = body.start + body.length;
  const [mid] = middleLine(b, body.start, end);
  const from = writeHeadBefore(b, body.start, body.format, body.length + GARBAGE.length, conn.closeAfter);
  body.arm(pool, counts);
  if (conn.headOnly) return conn.write(new Uint8Array(b.buffer, from, body.start - from), body.sent);
  const s = conn.socket;
  s.cork();
  s.write(new Uint8Array(b.buffer, from, mid - from));
  s.write(GARBAGE);
  conn.write(new Uint8Array(b.buffer, mid, end - mid), body.sent);
  s.uncork();
}

/**
 * A head announcing the whole body, half of it, then the connection closed: its last response
 * (a request pipelined behind it is never answered, or its bytes would complete the half body).
 */
export function sendReset(conn: Conn, body: Body): void {
  conn.endAfter();
  const b = body.scratch.buf;
  const from = writeHeadBefore(b, body.start, body.format, body.length, false);
  const s = conn.socket;
  s.write(new Uint8Array(b.buffer, from, body.start + (body.length >> 1) - from), () => s.destroy());
}

const PAD_LINE = Buffer.from(`# promsoak padding ${'x'.repeat(100)}\n`);
const PAD_BLOCK = Buffer.concat(Array.from({ length: 512 }, () => PAD_LINE));

/**
 * The body, then comment lines up to `bytes` in all, written as the client reads (one 60 kB
 * block reused). Answered later: false (the connection reads nothing more until it is out).
 */
export function sendOversized(conn: Conn, body: Body, bytes: number): boolean {
  const s = conn.socket;
  const total = Math.max(bytes, body.length);
  const b = body.scratch.buf;
  if (conn.headOnly) {
    conn.write(headBytes(body.format, total, conn.closeAfter));
    return true;
  }
  s.cork();
  s.write(headBytes(body.format, total, conn.closeAfter));
  s.write(new Uint8Array(b.buffer, body.start, body.length));
  s.uncork();
  let left = total - body.length;
  const pump = (): void => {
    while (left > 0 && !s.destroyed) {
      // Whole comment lines while they fit, then one short comment line for the rest.
      const chunk = left >= PAD_LINE.length ? PAD_BLOCK.subarray(0, Math.min(PAD_BLOCK.length, left - (left % PAD_LINE.length))) : tailLine(left);
      left -= chunk.length;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
    if (!s.destroyed) {
      if (conn.closeAfter) s.end();
      conn.done();
    }
  };
  pump();
  return false;
}

/** A comment line of exactly n bytes (n ≥ 1). */
function tailLine(n: number): Buffer {
  const b = Buffer.alloc(n, 0x78);
  b[0] = n > 1 ? 0x23 : 0x0a;
  b[n - 1] = 0x0a;
  return b;
}

