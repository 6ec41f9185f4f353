import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Head } from '../src/engine/ingest/head.js';
import { RemoteWriteIngester } from '../src/engine/ingest/remote-write.js';
import { RemoteWriteServer, RW_BODY_TIMEOUT_MS } from '../src/engine/remote-write-server.js';

test('receiver: a body sent a byte at a time is cut at the body timeout with a 408, and what it held of the in-flight budget is freed', { timeout: 30_000 }, async () => {
  assert.ok(RW_BODY_TIMEOUT_MS <= 60_000, `${RW_BODY_TIMEOUT_MS} ms`);
  const server = new RemoteWriteServer(new RemoteWriteIngester(new Head({ window: 8 })), {}, 800);
  const url = new URL(await server.listen(0));
  try {
    const sock = connect(Number(url.port), '127.0.0.1');
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.write(`POST ${url.pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: 1000\r\n\r\n`);
    const drip = setInterval(() => sock.writable && sock.write('\x00'), 100);
    const t0 = Date.now();
    const cut = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8000))]);
    clearInterval(drip);
    sock.destroy();
    assert.ok(cut, 'the slow body still held its connection 8 s later');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /body not read whole within 800 ms \(\d+ bytes came\)/);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(server.counts.byStatus[408], 1);
    assert.equal((server as unknown as { inFlight: number }).inFlight, 0);
  } finally {
    await server.close();
  }
});
