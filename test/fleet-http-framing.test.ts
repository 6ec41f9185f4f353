import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { loadProfile } from '../src/profile/load.js';
import { Parsed, RequestHead } from '../src/fleet/request-head.js';
import { ExporterService } from '../src/fleet/exporter-service.js';
import { serve } from '../src/fleet/http-server.js';
import { FaultPlan } from '../src/fleet/faults.js';
import { C, SlotCounters, sharedCounters } from '../src/fleet/thread-counters.js';
import { FAULT_KINDS, type FaultKind } from '../src/profile/schema.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parse(text: string): { r: Parsed; h: RequestHead } {
  const b = Buffer.from(text, 'latin1');
  const h = new RequestHead();
  return { r: h.parse(b, 0, b.length), h };
}

/** One serving thread's server for the faults profile (40 exporters, two of each fault kind). */
async function faultServer() {
  const profile = loadProfile('faults');
  const counts = new SlotCounters(sharedCounters(1), 0).f;
  const service = new ExporterService({ profile, shard: null, epochMs: Date.now(), counts, where: 'here' });
  const server = await serve({ host: '127.0.0.1', port: 0, service, counts });
  const plan = new FaultPlan(profile);
  const of = (kind: FaultKind | null): number => plan.kindOf.indexOf(kind === null ? -1 : FAULT_KINDS.indexOf(kind));
  return { server, counts, of };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server sends until it closes (or `ms` pass). */
function readAll(s: Socket, ms = 5000): Promise<{ bytes: Buffer; closed: boolean }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ bytes: Buffer.concat(chunks), closed: false }), ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), closed: true });
    });
  });
}

/**
 * Reads responses the way a keep-alive client does: a head, then Content-Length bytes of body
 * (none for a HEAD request's answer). Returns each status, and what was left that is not a
 * whole response.
 */
function frame(bytes: Buffer, heads: boolean[]): { statuses: number[]; rest: string } {
  const statuses: number[] = [];
  let at = 0;
  for (const isHead of heads) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = bytes.toString('latin1', at, end);
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    if (!m) break;
    const length = Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1] ?? NaN);
    const next = end + 4 + (isHead ? 0 : length);
    if (next > bytes.length) break;
    statuses.push(Number(m[1]));
    at = next;
  }
  return { statuses, rest: bytes.toString('latin1', at, at + 40) };
}

describe('the fleet request reader refuses what would frame a request differently elsewhere', () => {
  it('a header name with white space before its colon, a folded line, a name that is not a token: 400', () => {
    for (const text of [
      'GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n',
      'GET / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n\tContent-Length: 5\r\n\r\n',
      'GET / HTTP/1.1\r\nX Y: z\r\n\r\n',
      'GET / HTTP/1.1\r\nContent\rLength: 5\r\n\r\n',
      'GET / HTTP/1.1\r\n[x]: y\r\n\r\n',
    ]) {
      const { r, h } = parse(text);
      assert.equal(r, Parsed.Bad, JSON.stringify(text));
      assert.equal(h.status, 400, JSON.stringify(text));
      assert.equal(h.close, true);
    }
  });

  it('a control byte (NUL, a bare CR, DEL) in a header value or the request target: 400', () => {
    for (const text of [
      'GET / HTTP/1.1\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n',
      'GET / HTTP/1.1\r\nAccept: text/plain\x7f\r\n\r\n',
      'GET /exporters/1/metrics\r HTTP/1.1\r\n\r\n',
      'GET /ex\x00porters/1/metrics HTTP/1.1\r\n\r\n',
      'GET /a\tb HTTP/1.1\r\n\r\n',
    ]) {
      const { r, h } = parse(text);
      assert.equal(r, Parsed.Bad, JSON.stringify(text));
      assert.equal(h.status, 400, JSON.stringify(text));
    }
    // A tab inside a value is a value's own (RFC 9110 field-vchar and HTAB), and obs-text too.
    assert.equal(parse('GET / HTTP/1.1\r\nUser-Agent: a\tb \xe9\r\n\r\n').r, Parsed.Ok);
  });

  it('a request hidden after "Content-Length : N" is never answered: one 400 and a close', { timeout: 10_000 }, async () => {
    const { server, counts } = await faultServer();
    try {
      const s = await open(server.port);
      const done = readAll(s);
      const hidden = 'GET /nope HTTP/1.1\r\n\r\n';
      s.write(`GET /healthz HTTP/1.1\r\nContent-Length : ${hidden.length}\r\n\r\n${hidden}`);
      const { bytes, closed } = await done;
      assert.ok(closed);
      assert.deepEqual([...bytes.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), [400]);
      assert.equal(counts[C.NotFound], 0, 'the hidden request was not served');
    } finally {
      await server.close();
    }
  });
});

describe('the fleet keeps responses framed around its faulty exporters', () => {
  for (const kind of ['truncated', 'malformed', 'oversized'] as const) {
    it(`HEAD of a ${kind} exporter is a head alone: the next pipelined response starts right after it`, { timeout: 15_000 }, async () => {
      const { server, of } = await faultServer();
      try {
        const s = await open(server.port);
        const done = readAll(s);
        s.write(`HEAD /exporters/${of(kind)}/metrics HTTP/1.1\r\n\r\nGET /exporters/${of(null)}/metrics HTTP/1.1\r\nConnection: close\r\n\r\n`);
        const { bytes, closed } = await done;
        assert.ok(closed);
        const { statuses, rest } = frame(bytes, [true, false]);
        assert.deepEqual(statuses, [200, 200], `after the HEAD's head: ${JSON.stringify(rest)}`);
      } finally {
        await server.close();
      }
    });
  }

  it('a reset exporter answers nothing more on its connection: a request pipelined behind it is not written after the half body', { timeout: 10_000 }, async () => {
    const { server, counts, of } = await faultServer();
    try {
      const s = await open(server.port);
      const done = readAll(s);
      s.write(`GET /exporters/${of('reset')}/metrics HTTP/1.1\r\n\r\nGET /exporters/${of(null)}/metrics HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n`);
      const { bytes, closed } = await done;
      assert.ok(closed, 'the reset closed the connection');
      const text = bytes.toString('latin1');
      assert.equal((text.match(/HTTP\/1\.1 \d{3} /g) ?? []).length, 1, 'only the reset head was sent');
      assert.equal(counts[C.Scrapes], 0);
      assert.equal(counts[C.NotFound], 0);
    } finally {
      await server.close();
    }
  });

  it('after a Connection: close response, a request that arrives later is neither answered nor served', { timeout: 10_000 }, async () => {
    const { server, counts } = await faultServer();
    try {
      const s = await open(server.port);
      s.on('error', () => {});
      s.write('GET /nope1 HTTP/1.1\r\nConnection: close\r\n\r\n');
      await sleep(100);
      s.write('GET /nope2 HTTP/1.1\r\n\r\n');
      const { bytes } = await readAll(s, 2000);
      const text = bytes.toString('latin1');
      assert.equal((text.match(/HTTP\/1\.1 \d{3} /g) ?? []).length, 1);
      assert.equal(counts[C.NotFound], 1, 'the request after the close was served');
    } finally {
      await server.close();
    }
  });

  it('an HTTP/1.0 client that half-closes after its request still gets a slow exporter\'s whole answer', { timeout: 10_000 }, async () => {
    const { server, of } = await faultServer();
    try {
      const s = await open(server.port);
      const done = readAll(s);
      s.end(`GET /exporters/${of('slow')}/metrics HTTP/1.0\r\n\r\n`);
      const { bytes, closed } = await done;
      assert.ok(closed);
      assert.deepEqual(frame(bytes, [false]).statuses, [200], bytes.toString('latin1', 0, 80));
    } finally {
      await server.close();
    }
  });
});
