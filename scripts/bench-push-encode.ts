import { createRequire } from 'node:module';
import { compressSync as nativeCompress } from 'snappy';
import { loadProfile } from '../src/profile/load.js';
import { buildModel } from '../src/fleet/render/model.js';
import { buildPushLayout } from '../src/push/series-layout.js';
import { RemoteWriteV1Encoder } from '../src/push/encode-v1.js';
import { RemoteWriteV2Encoder } from '../src/push/encode-v2.js';
import { maxCompressedLength, SnappyCompressor } from '../src/push/snappy.js';
import { measureSync } from './lib/measure.js';
import { measureAllocation } from './lib/alloc-meter.js';
import type { Row } from './lib/rows.js';

/**
 * `npm run bench -- --only push` (or `node dist/scripts/bench-push-encode.js`): a remote-write
 * request of 2000 samples (Prometheus's max_samples_per_send) encoded and snappy-compressed
 * in one thread, on the default profile's series, exporter after exporter.
 * - promsoak's 1.0 and 2.0 encoders with its snappy.ts, into reused buffers;
 * - the npm peer `prometheus-remote-write` (protobufjs + snappyjs) on the same samples, the
 *   way its pushTimeseries() builds and encodes a request (its HTTP send left out);
 * - the snappy compressors alone on the same raw 1.0 requests: snappy.ts, snappyjs, and the
 *   native `snappy` (napi-rs).
 * Time: measureSync (wall time over 2000-sample batches after a warm-up). Allocation:
 * measureAllocation (scripts/lib/alloc-meter.ts): heapUsed read after every batch, the
 * batches a GC ran in left out, so the figure is the JS heap's growth per batch, exact to
 * the byte; memory outside the JS heap (a Buffer's backing store) is not in it.
 */

const require = createRequire(import.meta.url);
const peerRequire = createRequire(require.resolve('prometheus-remote-write'));
interface PbType {
  verify(o: unknown): string | null;
  encode(o: unknown): { finish(): Uint8Array };
}
const peerProto = (peerRequire('./prom.js') as { prometheus: { WriteRequest: PbType } }).prometheus.WriteRequest;
const peerSnappy = peerRequire('snappyjs') as { compress(b: Uint8Array): Uint8Array };
const snappyjs = require('snappyjs') as { compress(b: Uint8Array): Uint8Array };
const version = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;

const BATCH = 2000;
const EPOCH_MS = 1_767_225_600_000;
const INTERVAL = 5;

interface Encoder {
  readonly buf: Uint8Array;
  readonly length: number;
  readonly samples: number;
  beginExporter(id: number, t: number, epochMs: number): void;
  appendLine(i: number): void;
  reset(): void;
}

/** Where the feed is: exporter after exporter, each all its lines, every exporter once per interval. */
class Feed {
  id = 0;
  line = 0;
  t = 100;
  constructor(
    readonly exporters: number,
    readonly lines: number,
  ) {}
  next(): void {
    if (++this.line === this.lines) {
      this.line = 0;
      if (++this.id === this.exporters) {
        this.id = 0;
        this.t += INTERVAL;
      }
    }
  }
}

/** One request: BATCH samples into enc, from where the feed is. */
function fill(enc: Encoder, feed: Feed): void {
  enc.reset();
  enc.beginExporter(feed.id, feed.t, EPOCH_MS);
  for (let k = 0; k < BATCH; k++) {
    if (feed.line === 0 && k > 0) enc.beginExporter(feed.id, feed.t, EPOCH_MS);
    enc.appendLine(feed.line);
    feed.next();
  }
}

export async function runPushEncodeBench(seconds = 2): Promise<Row[]> {
  const profile = loadProfile('default');
  const model = buildModel(profile);
  const layout = buildPushLayout(model);
  const input = `default profile, ${model.lines} series × ${profile.exporters} exporters, ${BATCH} samples a request`;
  const rows: Row[] = [];
  const snappy = new SnappyCompressor();

  // promsoak: encode + compress, 1.0 and 2.0.
  const ours: Record<string, number> = {};
  for (const [name, enc] of [
    ['1.0', new RemoteWriteV1Encoder(layout, model, BATCH)],
    ['2.0', new RemoteWriteV2Encoder(layout, model, BATCH)],
  ] as [string, Encoder][]) {
    const feed = new Feed(profile.exporters, model.lines);
    const out = new Uint8Array(maxCompressedLength(enc.buf.length));
    let raw = 0;
    let compressed = 0;
    let requests = 0;
    const one = (): void => {
      fill(enc, feed);
      const n = enc.length;
      raw += n;
      compressed += snappy.compress(enc.buf, n, out);
      requests++;
    };
    const encodeOnly = measureSync(() => {
      for (let r = 0; r < 10; r++) fill(enc, feed);
      return 10 * BATCH;
    }, seconds / 2);
    const m = measureSync(() => {
      for (let r = 0; r < 10; r++) one();
      return 10 * BATCH;
    }, seconds);
    const alloc = measureAllocation(one, 3000);
    ours[name] = m.nsPerOp;
    const rawPer = raw / requests / BATCH;
    rows.push({
      bench: 'push',
      subject: `promsoak remote write ${name} encoder + snappy.ts`,
      input,
      nsPerSample: m.nsPerOp,
      mbPerSecond: (rawPer / m.nsPerOp) * 1000,
      bytesPerSample: alloc.bytesPerCall / BATCH,
      note:
        `encode alone ${encodeOnly.nsPerOp.toFixed(1)} ns/sample; **${(compressed / requests / BATCH).toFixed(2)} B/sample compressed**, ${rawPer.toFixed(1)} B/sample raw ` +
        `(${((compressed / raw) * 100).toFixed(0)} %); ${(1e3 / m.nsPerOp).toFixed(1)} M samples/s in one thread; heap B/sample over ${alloc.calls - alloc.gcCalls} requests without a GC (${alloc.gcCalls} with)`,
    });
  }

  // The npm peer on the same samples: label objects as a user of it holds them (built once,
  // outside the measurement), values and timestamps per request, as its pushTimeseries() does.
  const clock = new RemoteWriteV1Encoder(layout, model, 0);
  const labelObjects: Record<string, string>[][] = [];
  for (let id = 0; id < profile.exporters; id++) {
    const row: Record<string, string>[] = [];
    for (let i = 0; i < model.lines; i++) row.push(Object.fromEntries(layout.labelsOf(i, id, 0)) as Record<string, string>);
    labelObjects.push(row);
  }
  const kv = (o: Record<string, string>): { name: string; value: string }[] => Object.entries(o).map((e) => ({ name: e[0], value: e[1] }));
  const peerFeed = new Feed(profile.exporters, model.lines);
  let peerRaw = 0;
  let peerCompressed = 0;
  let peerRequests = 0;
  const peerOne = (): void => {
    const timeseries: { labels: Record<string, string>; samples: { value: number; timestamp: number }[] }[] = [];
    clock.beginExporter(peerFeed.id, peerFeed.t, EPOCH_MS);
    for (let k = 0; k < BATCH; k++) {
      if (peerFeed.line === 0 && k > 0) clock.beginExporter(peerFeed.id, peerFeed.t, EPOCH_MS);
      timeseries.push({ labels: labelObjects[peerFeed.id]![peerFeed.line]!, samples: [{ value: clock.value(peerFeed.line), timestamp: Math.floor(EPOCH_MS + peerFeed.t * 1000) }] });
      peerFeed.next();
    }
    // prometheus-remote-write's pushTimeseries() and serialize(), without the HTTP request.
    const writeRequest = {
      timeseries: timeseries.map((t) => ({ labels: kv(t.labels), samples: t.samples.map((s) => ({ value: s.value, timestamp: s.timestamp })) })),
    };
    const err = peerProto.verify(writeRequest);
    if (err) throw new Error(err);
    const buffer = peerProto.encode(writeRequest).finish();
    peerRaw += buffer.length;
    peerCompressed += peerSnappy.compress(buffer).length;
    peerRequests++;
  };
  const pm = measureSync(() => {
    peerOne();
    return BATCH;
  }, seconds);
  const pa = measureAllocation(peerOne, 300);
  rows.push({
    bench: 'push',
    subject: `npm prometheus-remote-write ${version('prometheus-remote-write')} (protobufjs + snappyjs)`,
    input: `same samples, label objects built beforehand`,
    nsPerSample: pm.nsPerOp,
    mbPerSecond: (peerRaw / peerRequests / BATCH / pm.nsPerOp) * 1000,
    bytesPerSample: pa.bytesPerCall / BATCH,
    note:
      `${(peerCompressed / peerRequests / BATCH).toFixed(2)} B/sample compressed, ${(peerRaw / peerRequests / BATCH).toFixed(1)} B/sample raw; ` +
      `promsoak 1.0 is **${(pm.nsPerOp / ours['1.0']!).toFixed(1)}x** faster, 2.0 ${(pm.nsPerOp / ours['2.0']!).toFixed(1)}x (goal ≥ 10x)`,
  });

  // Snappy alone, on the same raw 1.0 requests (50 distinct ones, round robin).
  const enc = new RemoteWriteV1Encoder(layout, model, BATCH);
  const feed = new Feed(profile.exporters, model.lines);
  const requests: Uint8Array[] = [];
  for (let r = 0; r < 50; r++) {
    fill(enc, feed);
    requests.push(enc.buf.slice(0, enc.length));
  }
  const rawTotal = requests.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(maxCompressedLength(Math.max(...requests.map((r) => r.length))));
  const compressors: [string, (b: Uint8Array) => number][] = [
    ['promsoak snappy.ts (into a reused buffer)', (b) => snappy.compress(b, b.length, out)],
    [`npm snappyjs ${version('snappyjs')} (pure JS)`, (b) => snappyjs.compress(b).length],
    [`npm snappy ${version('snappy')} (napi-rs, native Snappy; compressSync)`, (b) => nativeCompress(b).length],
  ];
  const snappyNs: Record<string, number> = {};
  for (const [name, compress] of compressors) {
    let k = 0;
    let size = 0;
    const one = (): void => {
      size += compress(requests[k++ % requests.length]!);
    };
    const m = measureSync(() => {
      for (let r = 0; r < 10; r++) one();
      return 10 * BATCH;
    }, seconds);
    const ratio = (size / (k * (rawTotal / requests.length))) * 100;
    const a = measureAllocation(one, 1000);
    snappyNs[name] = m.nsPerOp;
    rows.push({
      bench: 'push',
      subject: name,
      input: `the 1.0 requests above (${(rawTotal / requests.length / 1024).toFixed(0)} KiB raw each)`,
      nsPerSample: m.nsPerOp,
      mbPerSecond: (rawTotal / requests.length / BATCH / m.nsPerOp) * 1000,
      bytesPerSample: a.bytesPerCall / BATCH,
      note: `compressed to ${ratio.toFixed(1)} % of raw${name.startsWith('npm') ? '; a new output per call (a Buffer\'s backing store is off the JS heap, not counted)' : ''}`,
    });
  }
  const [oursName, jsName, nativeName] = compressors.map(([n]) => n) as [string, string, string];
  const vsNative = snappyNs[oursName]! / snappyNs[nativeName]!;
  rows[rows.length - 3]!.note += `; ${(snappyNs[jsName]! / snappyNs[oursName]!).toFixed(1)}x snappyjs's speed, ${vsNative > 1 ? `${vsNative.toFixed(2)}x native's time` : `${(1 / vsNative).toFixed(2)}x native's speed`}${vsNative > 2 ? ' (**over 2x slower than native**)' : ''}`;
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { markdownTable } = await import('./lib/rows.js');
  process.stdout.write(markdownTable(await runPushEncodeBench(2)) + '\n');
}
