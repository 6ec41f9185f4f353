import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { ACCEPT_HEADER, ScrapeClient } from '../src/engine/client.js';
import { scrapeOffsetMs } from '../src/engine/scheduler.js';
import { parseFileSd, type ScrapeTarget } from '../src/engine/targets.js';
import { PromsoakError } from '../src/errors.js';

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
    assert.match((await scrape(c, '/500')).err?.message ?? '', /server returned HTTP status 500/);
    assert.match((await scrape(c, '/slow', 200)).err?.message ?? '', /timed out/);
    assert.match((await scrape(c, '/big')).err?.message ?? '', /body size limit exceeded/);
    assert.equal((await scrape(c, '/metrics')).err, null, 'the client still works after failures');
    await c.close();
  });
});
