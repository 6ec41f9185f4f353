import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { ACCEPT_HEADER, ScrapeClient } from '../src/engine/client.js';
import { scrapeOffsetMs } from '../src/engine/scheduler.js';
import { parseFileSd, type ScrapeTarget } from '../src/engine/targets.js';
import { PromsoakError } from '../src/common/errors.js';

describe('file_sd targets', () => {
  it('reads groups with __metrics_path__ and labels, one target per path', () => {
    const t = parseFileSd(
      JSON.stringify([
        { targets: ['127.0.0.1:9100'], labels: { __metrics_path__: '/exporters/0/metrics', instance: 'exporter-0', exporter: '0' } },
        { targets: ['127.0.0.1:9100', 'localhost:9090'] },
      ]),
    );
    assert.deepEqual(
      t.map((x) => x.id),
      ['http://127.0.0.1:9100/exporters/0/metrics', 'http://127.0.0.1:9100/metrics', 'http://localhost:9090/metrics'],
    );
    assert.deepEqual(t[0]!.labels, { instance: 'exporter-0', exporter: '0' });
    assert.equal(t[2]!.labels.instance, 'localhost:9090');
  });

  it('names the file and the group in errors', () => {
    assert.throws(() => parseFileSd('{}', 'sd.json'), (e: unknown) => e instanceof PromsoakError && e.code === 'PROMSOAK_TARGETS_INVALID' && /sd\.json/.test(e.message));
    assert.throws(() => parseFileSd('[{"targets":["no-port"]}]', 'sd.json'), /group 0: target "no-port" must be host:port/);
  });
});

describe('scrape offsets', () => {
  it('spread targets over the interval, each at a fixed phase', () => {
    const interval = 5000;
    const phases = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const id = `http://127.0.0.1:9100/exporters/${i}/metrics`;
      const now = 1_700_000_000_123;
      const off = scrapeOffsetMs(id, interval, now);
      assert.ok(off > 0 && off <= interval);
      phases.add((now + off) % interval);
      assert.equal((now + 777 + scrapeOffsetMs(id, interval, now + 777)) % interval, (now + off) % interval, 'same phase later');
    }
    const buckets = new Array(5).fill(0);
    for (const p of phases) buckets[Math.floor(p / 1000)]++;
    for (const b of buckets) assert.ok(b > 120, `phases per second of the interval: ${buckets}`);
  });
});

describe('ScrapeClient', () => {
  let server: Server;
  let origin: string;
  const big = Buffer.alloc(300_000, 'a\n');
  let accept = '';
  before(async () => {
    server = createServer((req, res) => {
      accept = req.headers.accept ?? '';
      if (req.url === '/big') {
        // Chunked, larger than the first buffer: the body must arrive whole.
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        for (let i = 0; i < big.length; i += 50_000) res.write(big.subarray(i, i + 50_000));
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late 1\n'), 1000).unref();
      } else if (req.url === '/cl-big') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': big.length });
        res.end(big);
      } else if (req.url === '/500') {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('oops\n');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0' });
        res.end('up 1\n# EOF\n');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const target = (path: string): ScrapeTarget => ({ id: origin + path, origin, path, labels: {} });
  const scrape = (c: ScrapeClient, path: string, timeoutMs = 2000) =>
    new Promise<{ err: Error | null; text: string; ct: string }>((resolve) =>
      c.scrape(target(path), timeoutMs, (err, body, ct) => resolve({ err, text: body ? Buffer.from(body).toString() : '', ct })),
    );

  it('sends Prometheus’s Accept header, returns body and content type, reuses buffers', async () => {
    const c = new ScrapeClient();
    const r = await scrape(c, '/metrics');
    assert.equal(r.err, null);
    assert.equal(r.text, 'up 1\n# EOF\n');
    assert.match(r.ct, /openmetrics/);
    assert.equal(accept, ACCEPT_HEADER);
    const allocated = c.bufferBytesAllocated;
    for (let i = 0; i < 20; i++) assert.equal((await scrape(c, '/metrics')).err, null);
    assert.equal(c.bufferBytesAllocated, allocated, 'no new body buffers once warm');
    const b = await scrape(c, '/big');
    assert.equal(b.text.length, big.length);
    await c.close();
  });

  it('fails on HTTP status, timeout and body size limit', async () => {
    const c = new ScrapeClient({ bodyLimit: 100_000 });
    assert.equal((await scrape(c, '/500')).err?.message, 'server returned HTTP status 500 Internal Server Error');
    assert.match((await scrape(c, '/slow', 200)).err?.message ?? '', /timed out/);
    assert.match((await scrape(c, '/big')).err?.message ?? '', /body size limit exceeded: more than 100000 bytes/);
    assert.match((await scrape(c, '/cl-big')).err?.message ?? '', /body size limit exceeded: Content-Length 300000 > 100000 bytes/);
    assert.equal((await scrape(c, '/metrics')).err, null, 'the client still works after failures');
    await c.close();
  });
});

/**
 * A raw TCP server speaking just enough HTTP/1.1 to send exact bytes: `respond(path, n, socket)`
 * is called for the n-th request on a connection (0-based) and writes whatever it likes.
 */
async function rawServer(respond: (path: string, n: number, socket: Socket) => void): Promise<{ server: NetServer; origin: string; connections: () => number }> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    let pending = '';
    let n = 0;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) break;
        const path = pending.slice(4, pending.indexOf(' ', 4));
        pending = pending.slice(end + 4);
        respond(path, n++, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => connections };
}

describe('ScrapeClient on exact bytes', () => {
  const body = 'a 1\nb 2\n';
  let raw: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    raw = await rawServer((path, n, socket) => {
      switch (path) {
        case '/cl':
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          break;
        case '/chunked': {
          // Tiny chunks, a chunk extension, upper-case hex, a trailer, each piece in its own write.
          const pieces = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n', '4;ext=1\r\na 1\n\r', '\n5\r\nb 2\nc\r\n', 'A\r\n 3\nd 4444\n\r\n', '0\r\nX-Trailer: t\r\n\r\n'];
          pieces.forEach((p, i) => setTimeout(() => socket.write(p), i * 5));
          break;
        }
        case '/split-head':
          socket.write('HTTP/1.1 200 OK\r\nContent-Le');
          setTimeout(() => socket.write(`ngth: ${body.length}\r\n\r`), 5);
          setTimeout(() => socket.write(`\n${body}`), 10);
          break;
        case '/until-close':
          socket.end(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${body}`);
          break;
        case '/mid-body':
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nup 1\n');
          setTimeout(() => socket.destroy(), 10);
          break;
        case '/mid-chunk':
          socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nup 1\n');
          setTimeout(() => socket.end(), 10);
          break;
        case '/no-ct':
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          break;
        case '/404':
          socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found');
          break;
        case '/stale':
          // Answers the first request of a connection, then closes the next one unanswered (the keep-alive race).
          if (n === 0) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          else socket.destroy();
          break;
        case '/garbage':
          socket.write('SMTP ready\r\n\r\n');
          break;
        case '/gzip':
          socket.write('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00');
          break;
        case '/huge-cl':
          // Announces 4 GB, sends a few bytes, then nothing.
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4000000000\r\n\r\nup 1\n');
          break;
        case '/huge-chunk':
          socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nEE6B2800\r\nup 1\n');
          break;
      }
    });
  });
  after(() => raw.server.close());

  const scrapeRaw = (c: ScrapeClient, path: string, timeoutMs = 2000) =>
    new Promise<{ err: Error | null; text: string; ct: string }>((resolve) =>
      c.scrape({ id: raw.origin + path, origin: raw.origin, path, labels: {} }, timeoutMs, (err, b, ct) => resolve({ err, text: b ? Buffer.from(b).toString() : '', ct })),
    );

  it('a compressed body, though identity was asked, names its Content-Encoding', async () => {
    const c = new ScrapeClient();
    assert.equal((await scrapeRaw(c, '/gzip')).err?.message, 'the body is Content-Encoding gzip, though identity was asked');
    assert.equal((await scrapeRaw(c, '/cl')).err, null, 'the client still works');
    await c.close();
  });

  it('a huge announced body (Content-Length or chunk size of 4 GB) reserves memory as bytes arrive, not up front', async () => {
    const c = new ScrapeClient();
    for (const path of ['/huge-cl', '/huge-chunk']) {
      const r = await scrapeRaw(c, path, 300);
      assert.match(r.err?.message ?? '', /timed out/, path);
    }
    assert.ok(c.bufferBytesAllocated < 64 * 2 ** 20, `${c.bufferBytesAllocated} bytes of body buffers`);
    await c.close();
  });

  it('reads Content-Length and chunked bodies, headers split across reads, bodies until close', async () => {
    const c = new ScrapeClient();
    const a = await scrapeRaw(c, '/cl');
    assert.equal(a.err, null);
    assert.equal(a.text, body);
    assert.equal(a.ct, 'text/plain; version=0.0.4');
    const ch = await scrapeRaw(c, '/chunked');
    assert.equal(ch.err, null);
    assert.equal(ch.text, 'a 1\nb 2\nc 3\nd 4444\n');
    assert.equal((await scrapeRaw(c, '/split-head')).text, body);
    assert.equal((await scrapeRaw(c, '/until-close')).text, body);
    await c.close();
  });

  it('gives each response its own Content-Type on a reused connection, none included', async () => {
    const c = new ScrapeClient({ connections: 1 });
    const cts: string[] = [];
    try {
      for (const path of ['/cl', '/no-ct', '/cl', '/cl', '/no-ct', '/no-ct', '/cl']) {
        const r = await scrapeRaw(c, path);
        assert.equal(r.err, null);
        assert.equal(r.text, body);
        cts.push(r.ct);
      }
    } finally {
      await c.close();
    }
    const ct = 'text/plain; version=0.0.4';
    assert.deepEqual(cts, [ct, '', ct, ct, '', '', ct]);
    assert.equal(c.connectionsOpened, 1);
  });

  it('reuses one keep-alive connection for sequential scrapes and bounds connections', async () => {
    const c = new ScrapeClient({ connections: 2 });
    const before0 = raw.connections();
    for (let i = 0; i < 20; i++) assert.equal((await scrapeRaw(c, '/cl')).err, null);
    assert.equal(c.connectionsOpened, 1);
    assert.equal(raw.connections() - before0, 1);
    const many = await Promise.all(Array.from({ length: 10 }, () => scrapeRaw(c, '/cl')));
    for (const r of many) assert.equal(r.text, body);
    assert.equal(c.connectionsOpened, 2, 'at most `connections` per origin; the rest queue');
    await c.close();
  });

  it('fails clearly when the server closes mid-body, on 404, on garbage, and recovers', async () => {
    const c = new ScrapeClient();
    assert.match((await scrapeRaw(c, '/mid-body')).err?.message ?? '', /server closed the connection mid-body \(5 of 1000 bytes\)/);
    assert.match((await scrapeRaw(c, '/mid-chunk')).err?.message ?? '', /server closed the connection mid-body/);
    const nf = await scrapeRaw(c, '/404');
    assert.equal(nf.err?.message, 'server returned HTTP status 404 Not Found');
    assert.match((await scrapeRaw(c, '/garbage')).err?.message ?? '', /malformed HTTP response/);
    assert.equal((await scrapeRaw(c, '/cl')).text, body);
    await c.close();
  });

  it('retries once on a fresh connection when a reused one is closed unanswered', async () => {
    const c = new ScrapeClient();
    assert.equal((await scrapeRaw(c, '/stale')).err, null);
    const r = await scrapeRaw(c, '/stale');
    assert.equal(r.err, null);
    assert.equal(r.text, body);
    assert.equal(c.connectionsOpened, 2);
    await c.close();
  });

  it('reports a refused connection Prometheus-style', async () => {
    const s = createNetServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const c = new ScrapeClient();
    const origin = `http://127.0.0.1:${port}`;
    const err = await new Promise<Error | null>((resolve) => c.scrape({ id: origin + '/m', origin, path: '/m', labels: {} }, 1000, (e) => resolve(e)));
    assert.equal(err?.message, 'connect: connection refused');
    await c.close();
  });
});
