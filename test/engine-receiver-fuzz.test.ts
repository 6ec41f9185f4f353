import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startEngineChild, type EngineChild } from '../src/run/engine-child.js';
import { fleetRequests } from './fixtures/rw-requests.js';
import { RW_HEADERS, double, key, label, lenField, rng, sample, series, snappy, str, varint } from './fixtures/rw-proto.js';

/**
 * Fuzzing the engine's remote-write receiver, as a child process (`--receive`): malformed
 * snappy, truncated and overflowing protobuf, a 1 GB length declared in either layer, labels
 * Prometheus refuses, wrong wire types, and a few thousand seeded mutations of a good request.
 * Each bad request is one counted rejection (400 or 413) storing nothing, the engine never
 * crashes (no 500, no exit), what it holds stays bounded (its RSS, its buffers), and a good
 * request afterwards is stored.
 */

const GOOD = series([['__name__', 'up'], ['instance', 'a'], ['job', 'x']], [[1, 1_700_000_000_000]]);

/** [name, uncompressed WriteRequest bytes (compressed before sending) or a raw body, expected status, why]. */
const CASES: [string, { plain: number[] } | { raw: Uint8Array }, number, RegExp][] = [
  ['bad snappy: random bytes', { raw: Uint8Array.from([0x05, 0xff, 0xfe, 0xfd, 0x13, 0x77]) }, 400, /^snappy: copy offset/],
  ['bad snappy: copy before any output', { raw: Uint8Array.from([0x0a, 0x05, 0x01]) }, 400, /^snappy: copy offset 1 at output byte 0/],
  ['bad snappy: truncated block', { raw: snappy(GOOD).subarray(0, 8) }, 400, /^snappy: literal past the end of the input/],
  ['bad snappy: empty body', { raw: new Uint8Array(0) }, 400, /^snappy: truncated length/],
  ['bad snappy: length varint over 5 bytes', { raw: Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) }, 400, /^snappy: length varint over 5 bytes/],
  ['1 GB declared in the snappy preamble', { raw: Uint8Array.from([...varint(2 ** 30), 0x00, 0x0a]) }, 413, /^snappy: declares 1073741824 bytes uncompressed, over the limit of 134217728/],
  ['128 MiB declared by a 6-byte body', { raw: Uint8Array.from([...varint(2 ** 27), 0x00, 0x0a]) }, 400, /more than snappy can expand to/],
  ['1 GB declared by a protobuf length', { plain: [...key(1, 2), ...varint(2 ** 30), ...GOOD.slice(2)] }, 400, /^length 1073741824 past the end of its message/],
  ['truncated protobuf: cut in a label', { plain: GOOD.slice(0, 12) }, 400, /past the end of its message/],
  ['truncated protobuf: cut in the sample', { plain: GOOD.slice(0, GOOD.length - 3) }, 400, /past the end of its message/],
  ['truncated protobuf: a lone key', { plain: [0x0a] }, 400, /^truncated varint at byte 1/],
  ['varint overflow: an 11-byte length', { plain: [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01] }, 400, /^varint over 64 bits at byte 1/],
  ['varint overflow: a 10th byte over 1', { plain: [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02] }, 400, /^varint over 64 bits at byte 1/],
  ['varint overflow: an 11-byte key', { plain: [0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00] }, 400, /^varint over 64 bits at byte 0/],
  ['duplicate labels', { plain: series([['__name__', 'up'], ['job', 'x'], ['job', 'x']], [[1, 1000]]) }, 400, /^duplicate label name "job"/],
  ['duplicate labels, different values', { plain: series([['__name__', 'up'], ['job', 'x'], ['job', 'y']], [[1, 1000]]) }, 400, /^duplicate label name "job"/],
  ['unsorted labels', { plain: series([['__name__', 'up'], ['job', 'x'], ['instance', 'a']], [[1, 1000]]) }, 400, /^labels not sorted: "instance" after "job"/],
  ['no __name__', { plain: series([['job', 'x']], [[1, 1000]]) }, 400, /^series without __name__/],
  ['no labels at all', { plain: lenField(1, sample(1, 1000)) }, 400, /^series without labels/],
  ['invalid metric name', { plain: series([['__name__', '1up']], [[1, 1000]]) }, 400, /^invalid metric name "1up"/],
  ['invalid label name', { plain: series([['__name__', 'up'], ['a-b', 'x']], [[1, 1000]]) }, 400, /^invalid label name "a-b"/],
  ['empty label name', { plain: series([['', 'x'], ['__name__', 'up']], [[1, 1000]]) }, 400, /^invalid label name ""/],
  ['label value not UTF-8', { plain: lenField(1, [...label('__name__', 'up'), ...lenField(1, [...lenField(1, str('job')), ...lenField(2, [0xff, 0xfe])])]) }, 400, /^label "job": value is not UTF-8/],
  ['wrong wire type: timeseries as a varint', { plain: [...key(1, 0), 0x05] }, 400, /^WriteRequest.timeseries with wire type 0/],
  ['wrong wire type: labels as fixed64', { plain: lenField(1, [...key(1, 1), ...double(1)]) }, 400, /^TimeSeries field 1 with wire type 1/],
  ['wrong wire type: Label.name as a varint', { plain: lenField(1, lenField(1, [...key(1, 0), 0x01])) }, 400, /^Label field 1 with wire type 0/],
  ['wrong wire type: Sample.value as a varint', { plain: lenField(1, [...label('__name__', 'up'), ...lenField(2, [...key(1, 0), 0x01])]) }, 400, /^Sample field 1 with wire type 0/],
  ['wrong wire type: Sample.timestamp as fixed64', { plain: lenField(1, [...label('__name__', 'up'), ...lenField(2, [...key(2, 1), ...double(1)])]) }, 400, /^Sample field 2 with wire type 1/],
  ['wire type 7', { plain: [...key(9, 7), 0x00] }, 400, /^wire type 7/],
  ['a group (wire type 3)', { plain: [...key(9, 3), ...key(9, 4)] }, 400, /^wire type 3/],
  ['field number 0', { plain: [0x02, 0x00] }, 400, /^field number 0/],
  ['Sample.value truncated', { plain: lenField(1, [...label('__name__', 'up'), ...lenField(2, [...key(1, 1), 0, 0, 0])]) }, 400, /^Sample.value truncated/],
  ['a native histogram', { plain: lenField(1, [...label('__name__', 'up'), ...lenField(4, [])]) }, 400, /^native histograms are not stored/],
  ['a good series, then a bad one', { plain: [...GOOD, ...series([['job', 'x'], ['__name__', 'up']], [[1, 1000]])] }, 400, /^labels not sorted: "__name__" after "job" at byte 73/],
];

function vmRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('remote-write receiver: fuzz', () => {
  let engine: EngineChild;
  let url: string;
  let pid: number;
  const metrics = async (): Promise<string> => (await request(engine.ready.metricsUrl!)).body.text();
  const post = async (body: Uint8Array): Promise<{ status: number; text: string }> => {
    const res = await request(url, { method: 'POST', headers: RW_HEADERS, body });
    return { status: res.statusCode, text: await res.body.text() };
  };
  let rssStart = 0;

  before(async () => {
    engine = await startEngineChild({ options: { receivePort: 0, metricsPort: 0 }, stderr: 'pipe', statsEveryMs: 0 });
    url = engine.ready.writeUrl!;
    pid = engine.process.pid!;
    // Warm: buffers at their working size before RSS is first read.
    for (const r of fleetRequests('default', 2, [0])) assert.equal((await post(r.body)).status, 204);
    rssStart = vmRss(pid);
  });
  after(async () => {
    await engine.stop();
  });

  it('each malformed request: its status, one line naming what and where, one counted rejection, nothing stored', async () => {
    for (const [name, c, status, why] of CASES) {
      const before = await metrics();
      const body = 'raw' in c ? c.raw : snappy(c.plain);
      const r = await post(body);
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.match(r.text, /^[^\n]+\n$/, `${name}: one line`);
      assert.match(r.text, why, name);
      if (status === 400 && 'plain' in c) assert.match(r.text, / at byte \d+\n$/, `${name}: ${r.text}`);
      const after = await metrics();
      const code = `promsoak_engine_remote_write_requests_total{code="${status}"}`;
      assert.equal(metric(after, code), metric(before, code) + 1, `${name}: counted once`);
      assert.equal(metric(after, 'promsoak_engine_samples_ingested_total'), metric(before, 'promsoak_engine_samples_ingested_total'), `${name}: nothing stored`);
      assert.equal(metric(after, 'promsoak_engine_head_series'), metric(before, 'promsoak_engine_head_series'), `${name}: no series`);
    }
  });

  it('3000 seeded mutations of a good request: 204 or a counted 400/413, never a crash, memory bounded; then a good request is stored', async () => {
    const base = fleetRequests('default', 1, [10])[0]!.plain;
    const rand = rng(25);
    const pick = (n: number): number => Math.floor(rand() * n);
    const before = await metrics();
    const by: Record<number, number> = {};
    for (let k = 0; k < 3000; k++) {
      const plain = Uint8Array.from(base);
      let body: Uint8Array;
      const kind = k % 4;
      if (kind === 0) {
        for (let f = 1 + pick(4); f > 0; f--) plain[pick(plain.length)] = pick(256);
        body = snappy(plain);
      } else if (kind === 1) {
        body = snappy(plain.subarray(0, pick(plain.length)));
      } else if (kind === 2) {
        const at = pick(plain.length);
        const ins = Array.from({ length: 1 + pick(12) }, () => (rand() < 0.5 ? 0xff : pick(256)));
        body = snappy([...plain.subarray(0, at), ...ins, ...plain.subarray(at)]);
      } else {
        body = snappy(plain);
        for (let f = 1 + pick(3); f > 0; f--) body[pick(body.length)] = pick(256);
      }
      const r = await post(body);
      assert.ok(r.status === 204 || r.status === 400 || r.status === 413, `mutation ${k} (kind ${kind}): ${r.status} ${r.text}`);
      by[r.status] = (by[r.status] ?? 0) + 1;
    }
    const after = await metrics();
    for (const code of [204, 400, 413]) {
      const name = `promsoak_engine_remote_write_requests_total{code="${code}"}`;
      assert.equal(metric(after, name) - metric(before, name), by[code] ?? 0, `code ${code} counted`);
    }
    assert.equal(metric(after, 'promsoak_engine_remote_write_requests_total{code="500"}'), 0);
    assert.ok((by[400] ?? 0) > 1000, `most mutations are refused: ${JSON.stringify(by)}`);
    // Bounded: the receiver's buffers stay at the good requests' size, the process's RSS within 100 MiB of where it was.
    assert.ok(metric(after, 'promsoak_engine_head_bytes') < 32 * 1048576, `head bytes ${metric(after, 'promsoak_engine_head_bytes')}`);
    const rss = vmRss(pid);
    assert.ok(rss - rssStart < 100 * 1048576, `RSS ${rssStart} → ${rss}`);
    // Still serving, and storing.
    const good = fleetRequests('default', 1, [20])[0]!;
    const s0 = metric(after, 'promsoak_engine_samples_ingested_total');
    assert.equal((await post(good.body)).status, 204);
    assert.equal(metric(await metrics(), 'promsoak_engine_samples_ingested_total'), s0 + good.samples);
    assert.equal(engine.process.exitCode, null);
  });
});
