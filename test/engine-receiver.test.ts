import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Head } from '../src/engine/ingest/head.js';
import { RemoteWriteIngester } from '../src/engine/ingest/remote-write.js';
import { RemoteWriteServer, RW_MAX_BODY, RW_MAX_UNCOMPRESSED } from '../src/engine/remote-write-server.js';
import { startEngineChild, type EngineChild } from '../src/run/engine-child.js';
import { startEngine } from '../src/engine/engine.js';
import { fleetRequests, headSeriesName, type RwRequest } from './fixtures/rw-requests.js';
import { RW_HEADERS, double, key, label, lenField, series, snappy, varint } from './fixtures/rw-proto.js';
import { isPromsoakError } from '../src/common/errors.js';
import { engineChannel, type EngineStartedEvent } from '../src/protocol/engine-channels.js';

/** What the requests hold: per series, its samples' [tMs, value] in order. */
function expected(reqs: RwRequest[]): Map<string, [number, number][]> {
  const m = new Map<string, [number, number][]>();
  for (const r of reqs) {
    for (let i = 0; i < r.series.length; i++) {
      const s = m.get(r.series[i]!) ?? m.set(r.series[i]!, []).get(r.series[i]!)!;
      s.push([r.tMs[i]!, r.values[i]!]);
    }
  }
  return m;
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

const PROFILES = [
  // default: 4 exporters × 200 series at 3 times; churn: 3 exporters over 180 s, three churn epochs each, stale markers included.
  { profile: 'default', exporters: 4, times: [0, 5, 10] },
  { profile: 'churn', exporters: 3, times: Array.from({ length: 13 }, (_, k) => k * 15) },
];

describe('remote-write receiver: the head holds exactly the series and samples sent', () => {
  for (const { profile, exporters, times } of PROFILES) {
    it(`${profile}: every series the encoder sent, with its labels, timestamps and values`, () => {
      const reqs = fleetRequests(profile, exporters, times);
      const want = expected(reqs);
      const head = new Head({ window: 120 });
      const server = new RemoteWriteServer(new RemoteWriteIngester(head));
      let sent = 0;
      for (const r of reqs) {
        assert.deepEqual(server.store(r.body, r.body.length), { status: 204, line: '' });
        sent += r.samples;
      }
      assert.equal(server.counts.samples, sent);
      assert.equal(server.counts.seriesAdded, want.size);
      assert.equal(head.series, want.size);
      const t = new Float64Array(120);
      const v = new Float64Array(120);
      const seen = new Set<string>();
      for (const ref of head.refs()) {
        const name = headSeriesName(head.labels(ref)!);
        const samples = want.get(name);
        assert.ok(samples, `head series ${name} was never sent`);
        assert.ok(!seen.has(name), `${name} twice in the head`);
        seen.add(name);
        const n = head.read(ref, t, v);
        assert.deepEqual(
          Array.from({ length: n }, (_, i) => [t[i], Number.isNaN(v[i]!) ? 'NaN' : v[i]]),
          samples.map(([ts, val]) => [ts, Number.isNaN(val) ? 'NaN' : val]),
          name,
        );
      }
      if (profile === 'churn') assert.ok(reqs.some((r) => r.values.some((x) => Number.isNaN(x))), 'the churn requests carry stale markers');
    });
  }

  it('over HTTP into the engine child: its series, samples and self-metrics count what was sent (default and churn)', async () => {
    for (const { profile, exporters, times } of PROFILES) {
      const engine = await startEngineChild({ options: { receivePort: 0, metricsPort: 0 }, stderr: 'pipe', statsEveryMs: 0 });
      try {
        const url = engine.ready.writeUrl;
        assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write$/);
        const reqs = fleetRequests(profile, exporters, times);
        let sent = 0;
        for (const r of reqs) {
          const res = await request(url!, { method: 'POST', headers: RW_HEADERS, body: r.body });
          assert.equal(res.statusCode, 204, await res.body.text());
          sent += r.samples;
        }
        const text = await (await request(engine.ready.metricsUrl!)).body.text();
        assert.equal(metric(text, 'promsoak_engine_samples_ingested_total'), sent);
        assert.equal(metric(text, 'promsoak_engine_head_series'), expected(reqs).size);
        assert.equal(metric(text, 'promsoak_engine_series_added_total'), expected(reqs).size);
        assert.equal(metric(text, 'promsoak_engine_remote_write_requests_total{code="204"}'), reqs.length);
        const final = await engine.stop();
        assert.equal(final?.stats.samples, sent);
        assert.equal(final?.stats.series, expected(reqs).size);
        assert.equal(final?.stats.writeRequestsOk, reqs.length);
        assert.equal(final?.stats.writeRequestsRejected, 0);
      } finally {
        await engine.stop();
      }
    }
  });
});

describe('remote-write receiver: encodings a protobuf decoder accepts', () => {
  const store = (server: RemoteWriteServer, plain: number[]): void => {
    const body = snappy(plain);
    assert.deepEqual(server.store(body, body.length), { status: 204, line: '' });
  };
  const samplesOf = (head: Head): [string, [number, number][]][] =>
    head.refs().map((ref) => {
      const t = new Float64Array(8);
      const v = new Float64Array(8);
      const n = head.read(ref, t, v);
      return [headSeriesName(head.labels(ref)!), Array.from({ length: n }, (_, i) => [t[i]!, v[i]!] as [number, number])];
    });

  it('one series: twice in a request, labels between its samples, fields reversed, zeros left out, unknown fields', () => {
    const head = new Head({ window: 8 });
    const server = new RemoteWriteServer(new RemoteWriteIngester(head));
    const labels: [string, string][] = [['__name__', 'up'], ['instance', 'a'], ['job', 'x']];
    // Twice in one request: one series, both samples.
    store(server, [...series(labels, [[1, 1000]]), ...series(labels, [[2, 2000]])]);
    // Its labels with a sample between them (the same label bytes once gathered), an exemplar field skipped.
    store(server, lenField(1, [...label('__name__', 'up'), ...lenField(2, [...key(1, 1), ...double(3), ...key(2, 0), ...varint(3000)]), ...label('instance', 'a'), ...lenField(3, [1, 2, 3]), ...label('job', 'x')]));
    // A Sample with its timestamp first, then one with the value 0 left out (proto3 omits zeros), then one with an unknown field.
    store(server, lenField(1, [...labels.flatMap(([n, v]) => label(n, v)), ...lenField(2, [...key(2, 0), ...varint(4000), ...key(1, 1), ...double(4)])]));
    store(server, lenField(1, [...labels.flatMap(([n, v]) => label(n, v)), ...lenField(2, [...key(2, 0), ...varint(5000)])]));
    store(server, lenField(1, [...labels.flatMap(([n, v]) => label(n, v)), ...lenField(2, [...key(7, 0), 0x01, ...key(1, 1), ...double(6), ...key(2, 0), ...varint(6000)])]));
    assert.deepEqual(samplesOf(head), [
      ['up{instance="a",job="x"}', [[1000, 1], [2000, 2], [3000, 3], [4000, 4], [5000, 0], [6000, 6]]],
    ]);
    assert.equal(server.counts.seriesAdded, 1);
  });

  it('a series new in a request and repeated in it is created once', () => {
    const head = new Head({ window: 8 });
    const server = new RemoteWriteServer(new RemoteWriteIngester(head));
    store(server, [...series([['__name__', 'a']], [[1, 1000]]), ...series([['__name__', 'b']], [[1, 1000]]), ...series([['__name__', 'a']], [[2, 2000]])]);
    assert.deepEqual(samplesOf(head).sort(), [
      ['a{}', [[1000, 1], [2000, 2]]],
      ['b{}', [[1000, 1]]],
    ]);
  });

  it('a request of more series than the first walk remembers (65536) stores them all', () => {
    const head = new Head({ window: 2 });
    const rw = new RemoteWriteIngester(head);
    const n = 70_000;
    const parts: number[][] = [];
    for (let i = 0; i < n; i++) parts.push(series([['__name__', `m${i}`]], [[i, 1000]]));
    // And the same series again: all hits in the first walk, past the remembered ones too.
    const plain = Uint8Array.from(parts.flat());
    assert.equal(rw.ingest(plain, plain.length), n);
    assert.equal(rw.last.seriesAdded, n);
    const again = plain; // the same bytes, timestamp 1000 again: duplicates, which the head drops
    assert.equal(rw.ingest(again, again.length), n);
    assert.equal(rw.last.seriesAdded, 0);
    assert.equal(head.series, n);
    assert.equal(head.lastValue(head.refs()[n - 1]!), n - 1);
  });

  it('a series without samples in a request since the last sweep is released; one with samples stays', () => {
    const head = new Head({ window: 8 });
    const rw = new RemoteWriteIngester(head, 60_000, 0);
    const body = (names: string[], t: number): Uint8Array => Uint8Array.from(names.flatMap((n) => series([['__name__', n]], [[1, t]])));
    let b = body(['a', 'b'], 1000);
    rw.ingest(b, b.length, 1000);
    b = body(['a'], 2000);
    rw.ingest(b, b.length, 61_000); // sweeps first: a and b both had samples since the start
    assert.equal(head.series, 2);
    b = body(['a'], 3000);
    rw.ingest(b, b.length, 122_000); // b had none since the sweep at 61 s
    assert.deepEqual(head.refs().map((r) => head.labels(r)![0]), ['a']);
    assert.equal(rw.released, 1);
    assert.equal(rw.series, 1);
  });
});

describe('remote-write receiver: statuses', () => {
  let engine: EngineChild;
  let url: string;
  const good = snappy(series([['__name__', 'up'], ['job', 'x']], [[1, 1000]]));
  before(async () => {
    engine = await startEngineChild({ options: { receivePort: 0, metricsPort: 0 }, stderr: 'pipe', statsEveryMs: 0 });
    url = engine.ready.writeUrl!;
  });
  after(async () => {
    await engine.stop();
  });
  const post = async (headers: Record<string, string>, body: Uint8Array | string, u = url, method = 'POST') => {
    const res = await request(u, { method: method as 'POST', headers, body: method === 'GET' ? null : body });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('204 for a good request', async () => {
    assert.equal((await post(RW_HEADERS, good)).status, 204);
  });
  it('405 for GET, 404 for another path', async () => {
    const g = await post(RW_HEADERS, good, url, 'GET');
    assert.equal(g.status, 405);
    assert.match(g.text, /^method GET not allowed: POST only\n$/);
    assert.equal((await post(RW_HEADERS, good, url.replace('/api/v1/write', '/api/v1/push'))).status, 404);
  });
  it('415 for another content type, encoding, or remote write 2.0, in one line', async () => {
    for (const h of [
      { ...RW_HEADERS, 'Content-Type': 'application/json' },
      { ...RW_HEADERS, 'Content-Encoding': 'gzip' },
      { 'Content-Type': 'application/x-protobuf' },
      { ...RW_HEADERS, 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' },
    ]) {
      const r = await post(h, good);
      assert.equal(r.status, 415, JSON.stringify(h));
      assert.equal(r.text.split('\n').length, 2, r.text);
    }
    assert.equal((await post({ ...RW_HEADERS, 'Content-Type': 'application/x-protobuf; proto=prometheus.WriteRequest' }, good)).status, 204);
  });
  it('413 for a body over 32 MiB (by Content-Length, before reading it) and for a declared uncompressed length over 128 MiB', async () => {
    // A raw socket: the head claims 32 MiB + 1 and no byte of the body is sent; the answer comes anyway.
    const { port } = new URL(url);
    const big = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(port), '127.0.0.1', () => {
        sock.write(`POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: ${RW_MAX_BODY + 1}\r\n\r\n`);
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.setTimeout(5000, () => sock.destroy());
    });
    assert.match(big, /^HTTP\/1\.1 413 /);
    assert.match(big, /body of 33554433 bytes over the limit of 33554432\n$/);
    const declared = Uint8Array.from([...varint(RW_MAX_UNCOMPRESSED + 1), 0x00, 0x0a]);
    const r = await post(RW_HEADERS, declared);
    assert.equal(r.status, 413);
    assert.match(r.text, /declares 134217729 bytes uncompressed, over the limit of 134217728/);
  });
  it('400 with what and the byte offset; nothing of the request stored, the rejection counted', async () => {
    const metrics = async (): Promise<string> => (await request(engine.ready.metricsUrl!)).body.text();
    const before = await metrics();
    // A good series first, then a bad one: the good one is not stored either.
    const body = snappy([...series([['__name__', 'first'], ['job', 'x']], [[1, 1000]]), ...series([['job', 'x'], ['__name__', 'up']], [[1, 1000]])]);
    const r = await post(RW_HEADERS, body);
    assert.equal(r.status, 400);
    // The first TimeSeries takes 45 bytes (2 + two Labels of 19 and 10 + a Sample of 14); the second's second Label is at 45 + 2 + 10.
    assert.equal(r.text, 'labels not sorted: "__name__" after "job" at byte 57\n');
    const after = await metrics();
    assert.equal(metric(after, 'promsoak_engine_samples_ingested_total'), metric(before, 'promsoak_engine_samples_ingested_total'));
    assert.equal(metric(after, 'promsoak_engine_head_series'), metric(before, 'promsoak_engine_head_series'));
    assert.equal(metric(after, 'promsoak_engine_remote_write_requests_total{code="400"}'), metric(before, 'promsoak_engine_remote_write_requests_total{code="400"}') + 1);
  });
});

describe('engine --receive: what a soak reads', () => {
  it("the telemetry agent's scrape log counts the received samples and series, and no scrape", async () => {
    let event: EngineStartedEvent | undefined;
    const listen = (m: unknown): void => void (event = m as EngineStartedEvent);
    engineChannel.subscribe(listen);
    const engine = await startEngine({ receivePort: 0 });
    try {
      assert.ok(event, 'the engine published its start');
      event.scrapes.drain();
      const [r] = fleetRequests('default', 1, [0]);
      const res = await request(engine.writeUrl!, { method: 'POST', headers: RW_HEADERS, body: r!.body });
      assert.equal(res.statusCode, 204);
      await res.body.text();
      const t = event.scrapes.drain();
      assert.deepEqual([t.samples, t.seriesAdded, t.ok, t.failed, t.count], [r!.samples, r!.series.length, 0, 0, 0]);
    } finally {
      engineChannel.unsubscribe(listen);
      await engine.close();
    }
  });
});

describe('engine --receive: options', () => {
  it('promsoak engine --receive with another ingester: one line, exit 2', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../src/cli.js', import.meta.url)), 'engine', '--receive', '0', '--ingester', 'naive'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'promsoak: --receive needs the cached ingester (its head takes the pushed samples); --ingester naive has none\n');
  });
  it('a receiver needs the cached ingester: one usage error', async () => {
    await assert.rejects(startEngine({ receivePort: 0, ingester: 'naive' }), (e) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE' && /--receive needs the cached ingester/.test(e.message));
  });
  it('neither --targets nor --receive: one usage error', async () => {
    await assert.rejects(startEngine({}), (e) => isPromsoakError(e) && e.code === 'PROMSOAK_USAGE' && /--targets <file_sd.json> is required/.test(e.message));
  });
});
