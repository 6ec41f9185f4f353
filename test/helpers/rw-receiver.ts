import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { uncompress, uncompressedLength } from '../../src/push/snappy.js';

/** One decoded sample of a remote-write 1.0 request: its series as `name=value,…` in wire order. */
export interface Decoded {
  series: string;
  labels: [string, string][];
  value: number;
  stale: boolean;
  ts: number;
}

export interface Received {
  headers: IncomingMessage['headers'];
  samples: Decoded[];
}

/** What the receiver answers request n (0-based): a status with headers and body, or 'hang' (never answers). */
/** `partial`: the body starts with it and then never ends (nor grows): a reader of the body waits on it for good. */
export type Behaviour = (n: number) => { status: number; headers?: Record<string, string>; body?: string; endless?: boolean; partial?: string } | 'hang';

/**
 * A remote-write receiver for tests on 127.0.0.1: decodes every request (snappy, then the
 * protobuf walked by hand: the test's own reader, not promsoak's) and answers as told.
 */
export async function startReceiver(behaviour: Behaviour, opts: { decode?: boolean } = {}): Promise<{ url: string; requests: Received[]; server: Server; close(): Promise<void> }> {
  const requests: Received[] = [];
  const hung: ServerResponse[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (opts.decode === false) {
        // A sink: answered without reading what was sent (for loads this process could not decode in time).
        const answer = behaviour(n++);
        if (answer === 'hang') return void hung.push(res);
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
        return;
      }
      const { length } = uncompressedLength(body, body.length, 1 << 28);
      const raw = new Uint8Array(length);
      uncompress(body, body.length, raw);
      const answer = behaviour(n++);
      if (answer === 'hang') {
        hung.push(res);
        return;
      }
      // Counted as received only when answered 2xx: what a receiver stores.
      if (answer.status >= 200 && answer.status < 300) requests.push({ headers: req.headers, samples: decodeWriteRequest(raw) });
      res.writeHead(answer.status, answer.headers ?? {});
      if (answer.endless) {
        // A body that never ends: 16 KiB every 5 ms until the client goes away.
        const chunk = Buffer.alloc(16 << 10, 'x');
        const timer = setInterval(() => res.write(chunk), 5);
        res.on('close', () => clearInterval(timer));
        hung.push(res);
        return;
      }
      if (answer.partial !== undefined) {
        res.write(answer.partial);
        hung.push(res);
        return;
      }
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    server,
    close: async () => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** WriteRequest → samples, by field numbers (remote.proto): timeseries = 1; labels = 1, samples = 2; value = 1, timestamp = 2. */
export function decodeWriteRequest(b: Uint8Array): Decoded[] {
  const out: Decoded[] = [];
  const td = new TextDecoder();
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let m = 1;
    for (;;) {
      const x = b[p++]!;
      v += (x & 0x7f) * m;
      m *= 128;
      if (x < 0x80) return v;
    }
  };
  while (p < b.length) {
    const key = varint();
    const len = varint();
    const end = p + len;
    if (key !== 0x0a) {
      p = end;
      continue;
    }
    const labels: [string, string][] = [];
    const samples: { value: number; stale: boolean; ts: number }[] = [];
    while (p < end) {
      const k = varint();
      const l = varint();
      const e = p + l;
      if (k === 0x0a) {
        let name = '';
        let value = '';
        while (p < e) {
          const kk = varint();
          const ll = varint();
          const s = td.decode(b.subarray(p, p + ll));
          if (kk === 0x0a) name = s;
          else value = s;
          p += ll;
        }
        labels.push([name, value]);
      } else if (k === 0x12) {
        let value = 0;
        let stale = false;
        let ts = 0;
        while (p < e) {
          const kk = varint();
          if (kk === 0x09) {
            const dv = new DataView(b.buffer, b.byteOffset + p, 8);
            value = dv.getFloat64(0, true);
            stale = dv.getUint32(0, true) === 2 && dv.getUint32(4, true) === 0x7ff00000;
            p += 8;
          } else ts = varint();
        }
        samples.push({ value, stale, ts });
      }
      p = e;
    }
    const series = labels.map(([k, v]) => `${k}=${v}`).join(',');
    for (const s of samples) out.push({ series, labels, ...s });
  }
  return out;
}
