import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { measurePipelineRss } from '../scripts/fleet-pipeline-rss.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('six clients pipelining /sd without reading: the fleet RSS stays bounded, and each connection cut is counted in /stats', { timeout: 60_000 }, async () => {
  // Before the bound covered every path: 107 MiB → 1276 MiB at the peak, 1506 MiB after the clients closed.
  const r = await measurePipelineRss({ path: '/sd', clients: 6, requests: 20_000, holdMs: 4000, settleMs: 1000, stallSeconds: 1 });
  assert.ok(r.peakMiB - r.beforeMiB < 200, `fleet RSS ${r.beforeMiB.toFixed(0)} → ${r.peakMiB.toFixed(0)} MiB`);
  assert.ok(r.afterMiB - r.beforeMiB < 200, `fleet RSS after the clients closed: ${r.afterMiB.toFixed(0)} MiB (was ${r.beforeMiB.toFixed(0)})`);
  // The fleet reads a connection's next request only once the client has taken the last
  // response: each of the six stops reading, and is cut once its response sat unread for 1 s.
  assert.equal(r.connectionsCut, 6);
});

test('a client that stops reading is cut once its response sits unread for stallMs', { timeout: 30_000 }, async () => {
  const fleet = await startFleet({ profile: loadProfile('default'), threads: 1, stallMs: 1000 });
  try {
    const sdBytes = (await (await fetch(fleet.httpSd)).arrayBuffer()).byteLength;
    // Enough /sd bodies to fill the kernel's buffers both ways many times over.
    const n = Math.ceil((64 * 2 ** 20) / sdBytes);
    const s = connect(fleet.port, '127.0.0.1');
    s.on('error', () => {});
    s.pause();
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(Buffer.from(`GET /sd HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(n)));
    // (A paused client does not see the close: the fleet's count says it.)
    const until = Date.now() + 10_000;
    while (fleet.fleetStats().totals.connectionsCut === 0 && Date.now() < until) await sleep(100);
    s.destroy();
    assert.equal(fleet.fleetStats().totals.connectionsCut, 1, `the connection (${n} requests of ${sdBytes} B, none read) was not cut within 10 s`);
    // A client that reads is untouched meanwhile.
    assert.equal((await fetch(`${fleet.url}/exporters/3/metrics`)).status, 200);
  } finally {
    await fleet.close();
  }
});

test('pipelined requests for different paths on one connection are answered in order, each whole', { timeout: 30_000 }, async () => {
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1 });
  try {
    const s = connect(fleet.port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    const paths = ['/sd', '/exporters/2/metrics', '/stats', '/nope', '/healthz', '/profile', '/exporters/3/metrics'];
    s.write(paths.map((p, i) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
    let text = '';
    for await (const chunk of s) text += (chunk as Buffer).toString('latin1');
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 200, 200, 404, 200, 200, 200]);
    const order = ['"__metrics_path__"', '# TYPE', '"schemaVersion"', '404 not found: /nope', 'ok\n', '"families"', '# TYPE'];
    let at = 0;
    for (const mark of order) {
      const i = text.indexOf(mark, at);
      assert.ok(i >= at, `${mark} after offset ${at}`);
      at = i + mark.length;
    }
    assert.equal(fleet.fleetStats().totals.connectionsCut, 0);
  } finally {
    await fleet.close();
  }
});
