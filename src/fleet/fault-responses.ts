import type { ServerResponse } from 'node:http';

/**
 * How a faulty exporter answers once its body is rendered (see faults.ts). Each calls `sent`
 * once, after its last byte went out or the connection was cut: the body's buffer may then
 * be reused.
 */

/** The middle line of a body: [start, end) of it, end past its newline. */
function middleLine(body: Uint8Array): [number, number] {
  let start = body.indexOf(0x0a, body.length >> 1) + 1;
  if (start <= 0 || start >= body.length) start = 0;
  // Skip comments: the cut or the garbage must land in a sample line.
  while (start < body.length && body[start] === 0x23) start = body.indexOf(0x0a, start) + 1 || body.length;
  const end = body.indexOf(0x0a, start);
  return [start, end < 0 ? body.length : end + 1];
}

/** A complete HTTP response whose exposition stops halfway through a sample line. */
export function sendTruncated(res: ServerResponse, body: Uint8Array, headers: Record<string, string | number>, sent: () => void): void {
  const [start, end] = middleLine(body);
  const cut = start + Math.max(1, (end - start) >> 1);
  res.writeHead(200, { ...headers, 'Content-Length': cut });
  res.end(body.subarray(0, cut), sent);
}

const GARBAGE = Buffer.from('promsoak_injected_fault{{{ not a sample\n');

/** The body with a garbage line before its middle sample line. */
export function sendMalformed(res: ServerResponse, body: Uint8Array, headers: Record<string, string | number>, sent: () => void): void {
  const [start] = middleLine(body);
  res.writeHead(200, { ...headers, 'Content-Length': body.length + GARBAGE.length });
  res.write(body.subarray(0, start));
  res.write(GARBAGE);
  res.end(body.subarray(start), sent);
}

/** Headers announcing the whole body, half of it, then the connection closed. */
export function sendReset(res: ServerResponse, body: Uint8Array, headers: Record<string, string | number>, sent: () => void): void {
  res.writeHead(200, { ...headers, 'Content-Length': body.length });
  res.write(body.subarray(0, body.length >> 1), () => {
    res.socket?.destroy();
    sent();
  });
}

const PAD_LINE = Buffer.from(`# promsoak padding ${'x'.repeat(100)}\n`);
const PAD_BLOCK = Buffer.concat(Array.from({ length: 512 }, () => PAD_LINE));

/** The body, then comment lines up to `bytes` in all, written as the client reads (one 60 kB block reused). */
export function sendOversized(res: ServerResponse, body: Uint8Array, bytes: number, headers: Record<string, string | number>, sent: () => void): void {
  const total = Math.max(bytes, body.length);
  res.writeHead(200, { ...headers, 'Content-Length': total });
  let left = total - body.length;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    sent();
  };
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      // Whole comment lines while they fit, then one short comment line for the rest.
      const chunk = left >= PAD_LINE.length ? PAD_BLOCK.subarray(0, Math.min(PAD_BLOCK.length, left - (left % PAD_LINE.length))) : tailLine(left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (res.destroyed) return finish();
    res.end(finish);
  };
  res.once('close', finish);
  res.write(body, pump);
}

/** A comment line of exactly n bytes (n ≥ 1). */
function tailLine(n: number): Buffer {
  const b = Buffer.alloc(n, 0x78);
  b[0] = n > 1 ? 0x23 : 0x0a;
  b[n - 1] = 0x0a;
  return b;
}
