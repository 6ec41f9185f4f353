import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ScrapeError } from '../src/common/errors.js';
import { ScrapeClient } from '../src/engine/client.js';
import { NEED_MORE, parseResponseHead, ResponseHead } from '../src/engine/response-head.js';
import { prng } from './fixtures/parse-helpers.js';

/**
 * Deterministic fuzzing of the engine's HTTP response handling: the head parser alone, then
 * the client against a server that answers with mutated responses. Every input ends as a
 * parsed head, "need more", or a ScrapeError; every scrape calls back once, in time; the
 * client keeps working. PROMSOAK_FUZZ_CASES scales the case count (`npm run fuzz`).
 */
const CASES = Number(process.env.PROMSOAK_FUZZ_CASES ?? 300);

const BODY = 'up 1\n# EOF\n';
const SEEDS = [
  `HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
  `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nup 1\n\r\n6\r\n# EOF\n\r\n0\r\n\r\n`,
  `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${BODY}`,
  `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nup 1\n`,
  'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown',
  'HTTP/1.0 204 No Content\r\n\r\n',
].map((s) => Buffer.from(s, 'latin1'));

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const at = Math.floor(rnd() * (b.length + 1));
    const r = rnd();
    if (r < 0.3 && b.length) b[Math.min(at, b.length - 1)] = Math.floor(rnd() * 256);
    else if (r < 0.5) b = Buffer.concat([b.subarray(0, at), Buffer.from([[13, 10, 0, 32, 58, 48, 57][Math.floor(rnd() * 7)]!]), b.subarray(at)]);
    else if (r < 0.65) b = b.subarray(0, at);
    else if (r < 0.75) b = Buffer.concat([b.subarray(0, at), Buffer.from(`X-Long: ${'y'.repeat(Math.floor(rnd() * 70_000))}\r\n`), b.subarray(at)]);
    else if (r < 0.85) b = Buffer.concat([b.subarray(0, at), Buffer.from(String(Math.floor(rnd() * 1e12))), b.subarray(at)]);
    else b = Buffer.concat([b, b.subarray(at, at + Math.floor(rnd() * 40))]);
  }
  return b;
}

test(`response head parser: ${CASES * 10} mutated heads parse, need more, or fail with a ScrapeError`, () => {
  const rnd = prng(0xbead);
  const out = new ResponseHead();
  for (let i = 0; i < CASES * 10; i++) {
    const b = mutate(SEEDS[i % SEEDS.length]!, rnd);
    try {
      const n = parseResponseHead(b, b.length, out);
      assert.ok(n === NEED_MORE || (n > 0 && n <= b.length), `case ${i}: ${n} of ${b.length}`);
      if (n > 0) assert.ok(Number.isInteger(out.status) && out.status >= 100 && out.status <= 599, `case ${i}: status ${out.status}`);
    } catch (e) {
      if (!(e instanceof ScrapeError)) assert.fail(`case ${i}: threw ${(e as Error)?.stack ?? String(e)}`);
    }
  }
});

test(`client against ${CASES} mutated responses: one callback each, in time, the client still works`, { timeout: 300_000 }, async () => {
  const rnd = prng(0xc0ffee);
  const plan: { bytes: Buffer; close: boolean }[] = [];
  for (let i = 0; i < CASES; i++) plan.push({ bytes: rnd() < 0.1 ? SEEDS[i % SEEDS.length]! : mutate(SEEDS[i % SEEDS.length]!, rnd), close: rnd() < 0.5 });
  let next = 0;
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.on('data', (d) => {
      if (!d.includes('\r\n\r\n')) return;
      const c = plan[next++ % plan.length]!;
      if (c.close) socket.end(c.bytes);
      else socket.write(c.bytes);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new ScrapeClient({ connections: 4, bodyLimit: 1 << 20 });
  const outcomes = { ok: 0, failed: 0 };
  try {
    for (let i = 0; i < CASES; i++) {
      const t0 = Date.now();
      let calls = 0;
      const err = await new Promise<Error | null>((resolve) =>
        client.scrape({ id: `${origin}/m${i}`, origin, path: `/m${i}`, labels: {} }, 300, (e) => {
          calls++;
          resolve(e);
        }),
      );
      assert.ok(Date.now() - t0 < 2000, `case ${i} took ${Date.now() - t0} ms`);
      await new Promise((r) => setImmediate(r));
      assert.equal(calls, 1, `case ${i}: ${calls} callbacks`);
      if (err === null) outcomes.ok++;
      else {
        assert.ok(err instanceof ScrapeError, `case ${i}: ${err.stack}`);
        outcomes.failed++;
      }
    }
    assert.ok(outcomes.ok > 0 && outcomes.failed > 0, JSON.stringify(outcomes));
  } finally {
    await client.close();
    server.close();
  }
});
