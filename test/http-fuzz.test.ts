import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { prng } from './fixtures/parse-helpers.js';
import { readFleetStats } from '../src/protocol/fleet-stats.js';

/**
 * Deterministic fuzzing of the fleet's HTTP front, its main port and its serving threads' ports
 * (where the scrapes go) alike: valid requests, mutated ones (bytes flipped,
 * CR/LF and NULs inserted, lines cut or repeated, huge headers, pipelines of both), sent on raw
 * sockets that read or never read and close early. The fleet must not crash, must not hang
 * (every case ends within its deadline), must keep serving, and its memory must stay bounded.
 * PROMSOAK_FUZZ_CASES sets the number of cases (`npm run fuzz` runs 20,000; CI 300).
 */
const CASES = Number(process.env.PROMSOAK_FUZZ_CASES ?? 300);

const SEEDS = [
  'GET /exporters/3/metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\n\r\n',
  'GET /exporters/0/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  'GET /sd HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /healthz HTTP/1.0\r\n\r\n',
  'POST /exporters/1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
  'GET /exporters/2/metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET /exporters/99999999/metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n',
].map((s) => Buffer.from(s, 'latin1'));

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rnd() * (b.length + 1));
    switch (Math.floor(rnd() * 7)) {
      case 0: // flip a byte
        if (b.length) b[Math.min(at, b.length - 1)] = Math.floor(rnd() * 256);
        break;
      case 1: // insert CR, LF, NUL, space or colon
        b = Buffer.concat([b.subarray(0, at), Buffer.from([[13, 10, 0, 32, 58][Math.floor(rnd() * 5)]!]), b.subarray(at)]);
        break;
      case 2: // cut
        b = b.subarray(0, at);
        break;
      case 3: // a huge header
        b = Buffer.concat([b.subarray(0, Math.max(0, b.indexOf('\r\n') + 2)), Buffer.from(`X-Big: ${'a'.repeat(Math.floor(rnd() * 100_000))}\r\n`), b.subarray(Math.max(0, b.indexOf('\r\n') + 2))]);
        break;
      case 4: // pipeline another request
        b = Buffer.concat([b, SEEDS[Math.floor(rnd() * SEEDS.length)]!]);
        break;
      case 5: // repeat a slice
        b = Buffer.concat([b, b.subarray(at, at + Math.floor(rnd() * 64))]);
        break;
      default: // random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: Math.floor(rnd() * 32) }, () => Math.floor(rnd() * 256)))]);
    }
  }
  return b;
}

/** Sends one case; resolves when the server closed, or at the deadline (then the client closes). */
function send(port: number, bytes: Buffer, read: boolean, deadlineMs: number): Promise<'closed' | 'deadline'> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    if (!read) s.pause();
    const timer = setTimeout(() => {
      s.destroy();
      resolve('deadline');
    }, deadlineMs);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    s.on('connect', () => s.end(bytes));
  });
}

test(`fleet HTTP front: ${CASES} random and mutated requests on the main and serving ports, no crash, no hang, memory bounded, still serving`, { timeout: 600_000 }, async () => {
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 2 });
  const ports = [fleet.port, ...fleet.ports];
  const sent = ports.map(() => 0);
  try {
    const rnd = prng(0x5eed);
    const rss0 = process.memoryUsage().rss;
    let closed = 0;
    for (let i = 0; i < CASES; i += 16) {
      // Sixteen at a time: some cases wait for their deadline (a request never completed).
      const batch: Promise<'closed' | 'deadline'>[] = [];
      for (let j = 0; j < 16 && i + j < CASES; j++) {
        const seed = SEEDS[Math.floor(rnd() * SEEDS.length)]!;
        const bytes = rnd() < 0.15 ? seed : mutate(seed, rnd);
        const p = Math.floor(rnd() * ports.length);
        sent[p]!++;
        batch.push(send(ports[p]!, bytes, rnd() < 0.8, 800));
      }
      for (const r of await Promise.all(batch)) if (r === 'closed') closed++;
    }
    const grew = process.memoryUsage().rss - rss0;
    assert.ok(sent.every((n) => n > 0), `cases per port: ${sent.join(', ')}`);
    // Every port still serves: the main one and each serving thread's (exporter 4 on each).
    for (const port of ports) {
      const r = await fetch(`http://127.0.0.1:${port}/exporters/4/metrics`);
      assert.equal(r.status, 200, `port ${port}`);
      assert.ok((await r.text()).includes('smoke_events_total'), `port ${port}`);
    }
    // And /stats is still one a coordinator takes (integers where the schema says so).
    const stats = readFleetStats(await (await fetch(`${fleet.url}/stats`)).json());
    assert.ok(stats.ok, stats.ok ? '' : stats.why);
    assert.ok(grew < 200 * 2 ** 20, `RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB`);
    // Ending its request (half-close) makes the server answer and close: most cases end so.
    assert.ok(closed > CASES / 2, `${closed} of ${CASES} closed by the server`);
    assert.equal(fleet.stats.errors, 0, fleet.stats.lastError);
  } finally {
    await fleet.close();
  }
});
