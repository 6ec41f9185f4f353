import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { MAX_HEAD_BYTES, Method, Parsed, RequestHead } from '../src/fleet/request-head.js';
import { ExporterService } from '../src/fleet/exporter-service.js';
import { serve } from '../src/fleet/http-server.js';
import { C, SlotCounters, sharedCounters } from '../src/fleet/thread-counters.js';
import { runCli } from './helpers/tools.js';
import { readFleetStats } from '../src/protocol/fleet-stats.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PROM_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function parse(text: string): { r: Parsed; h: RequestHead; b: Buffer } {
  const b = Buffer.from(text, 'latin1');
  const h = new RequestHead();
  return { r: h.parse(b, 0, b.length), h, b };
}

describe('the fleet request reader', () => {
  it("takes a scraper's GET: the exporter id without a string, the Accept value, keep-alive", () => {
    const { r, h, b } = parse(`GET /exporters/1234/metrics?x=1 HTTP/1.1\r\nHost: a\r\nACCEPT:  ${PROM_ACCEPT} \r\nUser-Agent: Prometheus/2.42.0\r\n\r\nGET /next`);
    assert.equal(r, Parsed.Ok);
    assert.equal(h.exporter, 1234);
    assert.equal(h.method, Method.Get);
    assert.equal(h.accept(b), PROM_ACCEPT);
    assert.equal(h.close, false);
    assert.equal(b.toString('latin1', h.headEnd), 'GET /next');
    assert.equal(h.path(b), '/exporters/1234/metrics');
  });

  it('HEAD, HTTP/1.0 (close unless keep-alive), Connection: close, other paths', () => {
    assert.equal(parse('HEAD /exporters/0/metrics HTTP/1.1\r\n\r\n').h.method, Method.Head);
    assert.equal(parse('GET /exporters/0/metrics HTTP/1.0\r\n\r\n').h.close, true);
    assert.equal(parse('GET /exporters/0/metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').h.close, false);
    assert.equal(parse('GET /exporters/0/metrics HTTP/1.1\r\nconnection: foo, close\r\n\r\n').h.close, true);
    for (const p of ['/sd', '/exporters/x/metrics', '/exporters//metrics', '/exporters/1234567890/metrics', '/exporters/1/metricsx']) {
      const { r, h } = parse(`GET ${p} HTTP/1.1\r\n\r\n`);
      assert.equal(r, Parsed.Ok, p);
      assert.equal(h.exporter, -1, p);
    }
  });

  it('waits for the rest of a head; refuses what a scraper never sends, each with its status and a close', () => {
    assert.equal(parse('GET /exporters/1/metrics HTTP/1.1\r\nHost: a\r\n').r, Parsed.Incomplete);
    const cases: [string, number][] = [
      ['POST /exporters/1/metrics HTTP/1.1\r\n\r\n', 405],
      ['GET /exporters/1/metrics HTTP/2.0\r\n\r\n', 505],
      ['GET /exporters/1/metrics\r\n\r\n', 400],
      ['GET http://x/exporters/1/metrics HTTP/1.1\r\n\r\n', 400],
      ['GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nno colon here\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', 413],
      ['GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 413],
      [`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`, 431],
      [`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`, 431],
    ];
    for (const [text, status] of cases) {
      const { r, h } = parse(text);
      assert.equal(r, Parsed.Bad, text.slice(0, 40));
      assert.equal(h.status, status, text.slice(0, 40));
      assert.equal(h.close, true);
    }
    assert.equal(parse('GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n').r, Parsed.Ok);
  });
});

/** One serving thread's server on 127.0.0.1 with tight bounds, for the hostile clients below. */
async function tightServer(limits: { stallMs?: number; headMs?: number; idleMs?: number }, maxConnections = 1000) {
  const profile = loadProfile('smoke');
  const shared = sharedCounters(1);
  const counts = new SlotCounters(shared, 0).f;
  const service = new ExporterService({ profile, shard: null, epochMs: Date.now(), counts, where: 'here' });
  const server = await serve({ host: '127.0.0.1', port: 0, service, counts, limits, maxConnections });
  return { server, counts };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads from `s` until `want` responses (by their status lines) or the socket ends. */
async function responses(s: Socket, want: number, ms = 5000): Promise<{ text: string; ended: boolean }> {
  let text = '';
  let ended = false;
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  s.on('end', () => (ended = true));
  s.on('close', () => (ended = true));
  const until = Date.now() + ms;
  while (Date.now() < until && !ended && (text.match(/HTTP\/1\.1 \d{3} /g) ?? []).length < want) await sleep(10);
  return { text, ended };
}

describe('the fleet HTTP server against hostile clients', () => {
  it('a head sent a byte at a time is answered; pipelined scrapes come back in order; Connection: close ends it', { timeout: 20_000 }, async () => {
    const { server } = await tightServer({});
    try {
      const s = await open(server.port);
      const req = 'GET /exporters/3/metrics HTTP/1.1\r\nHost: x\r\n\r\n';
      for (const ch of req) {
        s.write(ch);
        await sleep(1);
      }
      s.write('GET /exporters/4/metrics HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /exporters/5/metrics HTTP/1.1\r\nConnection: close\r\n\r\nGET /exporters/6/metrics HTTP/1.1\r\n\r\n');
      const { text, ended } = await responses(s, 5);
      assert.deepEqual([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), [200, 200, 404, 200], 'four answers, none after the close');
      assert.ok(ended, 'closed after Connection: close');
      assert.ok(text.indexOf('404 not found: /nope') > 0);
      // Bodies are whole: every 200's Content-Length is what follows its head.
      for (const m of text.matchAll(/Content-Length: (\d+)\r\n(?:[^\r]*\r\n)*\r\n/g)) assert.ok(m.index! + m[0].length + Number(m[1]) <= text.length);
    } finally {
      await server.close();
    }
  });

  it('a head that never ends is cut after headMs; an idle keep-alive connection is closed after idleMs; both leave others alone', { timeout: 20_000 }, async () => {
    const { server, counts } = await tightServer({ headMs: 600, idleMs: 1200 });
    try {
      const slow = await open(server.port);
      slow.write('GET /exporters/1/metrics HTTP/1.1\r\nX-Slow: ');
      const idle = await open(server.port);
      idle.write('GET /exporters/1/metrics HTTP/1.1\r\n\r\n');
      const slowEnd = responses(slow, 1, 4000);
      const idleEnd = responses(idle, 2, 4000);
      // Meanwhile a third client is served at once.
      const other = await open(server.port);
      other.write('GET /exporters/2/metrics HTTP/1.1\r\nConnection: close\r\n\r\n');
      assert.match((await responses(other, 1)).text, /^HTTP\/1\.1 200 OK/);
      const s = await slowEnd;
      assert.ok(s.ended, 'the unfinished head was cut');
      assert.equal(s.text, '');
      const i = await idleEnd;
      assert.match(i.text, /^HTTP\/1\.1 200 OK/);
      assert.ok(i.ended, 'the idle connection was closed');
      assert.equal(counts[C.Cut], 1, 'the slow head counted as cut, the idle close not');
    } finally {
      await server.close();
    }
  });

  it('thousands of connections that never send cost no stall; past maxConnections new ones are refused and counted', { timeout: 30_000 }, async () => {
    const { server, counts } = await tightServer({}, 2000);
    const sockets: Socket[] = [];
    try {
      // In batches, each connected before the next (a burst past the listen backlog waits on SYN retries).
      for (let b = 0; b < 21; b++) {
        const batch: Promise<void>[] = [];
        for (let i = 0; i < 100; i++) {
          const s = connect(server.port, '127.0.0.1');
          s.on('error', () => {});
          sockets.push(s);
          batch.push(new Promise<void>((r) => (s.once('connect', () => r()), s.once('close', () => r()))));
        }
        await Promise.all(batch);
      }
      const until = Date.now() + 10_000;
      while (counts[C.Open]! + counts[C.Refused]! < 2100 && Date.now() < until) await sleep(50);
      assert.equal(counts[C.Open], 2000);
      assert.equal(counts[C.Refused], 100);
      // The open ones hold nothing: a reader closing one lets a scrape through at once.
      sockets[0]!.destroy();
      await sleep(100);
      const s = await open(server.port);
      const t0 = Date.now();
      s.write('GET /exporters/1/metrics HTTP/1.1\r\nConnection: close\r\n\r\n');
      assert.match((await responses(s, 1)).text, /^HTTP\/1\.1 200 OK/);
      assert.ok(Date.now() - t0 < 2000, `a scrape among 2000 idle connections took ${Date.now() - t0} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });
});

describe('the fleet on its threads', () => {
  it('spreads the targets over the serving threads, each answers on its port, and /stats has each thread', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 2 });
    try {
      assert.equal(fleet.ports.length, 2);
      const groups = fleet.targetGroups();
      const byPort = new Map<string, number>();
      for (const g of groups) byPort.set(g.targets[0]!, (byPort.get(g.targets[0]!) ?? 0) + 1);
      assert.deepEqual([...byPort.values()], [10, 10], 'twenty exporters, ten a thread');
      for (const g of groups) {
        const r = await fetch(`http://${g.targets[0]}${g.labels.__metrics_path__}`, { headers: { accept: PROM_ACCEPT } });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type')!, /openmetrics/);
        assert.ok((await r.text()).endsWith('# EOF\n'));
      }
      await sleep(1200);
      const stats = fleet.fleetStats();
      const threads = stats.threads!;
      assert.deepEqual(threads.map((t) => t.role), ['main', 'serving', 'serving']);
      assert.deepEqual(threads.slice(1).map((t) => t.port), [...fleet.ports]);
      assert.deepEqual(threads.slice(1).map((t) => t.scrapes), [10, 10]);
      for (const t of threads) {
        assert.ok(t.tid > 0 && Number.isFinite(t.cpuSeconds) && t.cpuSeconds >= 0);
        assert.ok(t.lastSecond && t.lastSecond.cpuCores >= 0 && t.lastSecond.utilization !== null && t.lastSecond.utilization >= 0 && t.lastSecond.utilization <= 1);
      }
      assert.equal(stats.totals.scrapes, 20);
      // What a coordinator reading this fleet as a shard accepts: the per-thread figures pass its schema.
      const read = readFleetStats(JSON.parse(JSON.stringify(stats)));
      assert.ok(read.ok, read.ok ? '' : read.why);
      // Other paths on a serving port: /healthz, and a 404 that says where the control paths are.
      assert.equal(await (await fetch(`http://127.0.0.1:${fleet.ports[1]}/healthz`)).text(), 'ok\n');
      const nf = await fetch(`http://127.0.0.1:${fleet.ports[1]}/stats`);
      assert.equal(nf.status, 404);
      assert.match(await nf.text(), new RegExp(`control paths are at ${fleet.url}`));
    } finally {
      await fleet.close();
    }
  });

  it('--port P whose serving ports P+1.. would pass 65535 is one line, exit 2, nothing started', () => {
    const r = runCli(['fleet', 'smoke', '--port', '65535', '--threads', '1']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'promsoak: --port 65535 with 1 serving thread: the serving thread listens on port 65536, past 65535; pick a lower --port (0 picks free ones)\n');
  });

  it('--threads over the cores this process may use is one line, exit 2', { skip: availableParallelism() >= 256 ? 'this machine has 256 cores or more' : false }, () => {
    const n = availableParallelism() + 1;
    const r = runCli(['fleet', 'smoke', '--threads', String(n)]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--threads ${n} is more than the [0-9.]+ cores? this process may use`));
  });
});
