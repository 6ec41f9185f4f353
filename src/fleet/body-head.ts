import { CONTENT_TYPE, type Format } from './render/layout.js';
import { httpDateBytes } from './http-date.js';

/**
 * An exporter response's head, written straight into the head room before its rendered body
 * (render.ts Scratch), so head and body leave in one write from one buffer:
 * `HTTP/1.1 200 OK`, Content-Type, Date, Content-Length, then keep-alive or close.
 */
const before: Record<Format, Buffer> = {
  text: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${CONTENT_TYPE.text}\r\nDate: `, 'latin1'),
  openmetrics: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${CONTENT_TYPE.openmetrics}\r\nDate: `, 'latin1'),
};
const LENGTH = Buffer.from('\r\nContent-Length: ', 'latin1');
const KEEP = Buffer.from('\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n', 'latin1');
const CLOSE = Buffer.from('\r\nConnection: close\r\n\r\n', 'latin1');
const DATE_BYTES = 29;

/** Head room a Scratch needs in front of its body for the longest head. */
export const HEAD_ROOM = 256;

/**
 * Writes the head for a body of `length` bytes (which the response announces: `announced`,
 * when a fault announces other than what it sends) so that it ends at `bodyStart`; returns
 * where it starts.
 */
export function writeHeadBefore(buf: Uint8Array, bodyStart: number, format: Format, announced: number, close: boolean): number {
  const b = before[format];
  const tail = close ? CLOSE : KEEP;
  let digits = 1;
  for (let p = 10; p <= announced; p *= 10) digits++;
  const size = b.length + DATE_BYTES + LENGTH.length + digits + tail.length;
  let at = bodyStart - size;
  const start = at;
  buf.set(b, at);
  at += b.length;
  buf.set(httpDateBytes(), at);
  at += DATE_BYTES;
  buf.set(LENGTH, at);
  at += LENGTH.length;
  let v = announced;
  for (let i = digits - 1; i >= 0; i--) {
    buf[at + i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  at += digits;
  buf.set(tail, at);
  return start;
}

/** The same head as its own buffer (the fault paths that send the body in pieces). */
export function headBytes(format: Format, announced: number, close: boolean): Buffer {
  const b = Buffer.allocUnsafe(HEAD_ROOM);
  const start = writeHeadBefore(b, HEAD_ROOM, format, announced, close);
  return b.subarray(start);
}
