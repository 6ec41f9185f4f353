import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { buildPushLayout, type PushLayout } from '../src/push/series-layout.js';
import { RemoteWriteV1Encoder, churnEpoch } from '../src/push/encode-v1.js';
import { RemoteWriteV2Encoder } from '../src/push/encode-v2.js';
import { maxCompressedLength, SnappyCompressor } from '../src/push/snappy.js';
import { bitsOf, decodeRequests, expectedLabels, oracle, parseTextSamples, type DecodedRequest } from './helpers/rw-oracle.js';

/**
 * The decoder oracle: requests promsoak encodes, decompressed and parsed by python-snappy and
 * python-protobuf from the .proto files of test/fixtures/remote-write/ (no promsoak code),
 * must be exactly the profile's series and values: the labels a scrape of the same exporter
 * stores, the values the text renderer writes for the same exporter and time, millisecond
 * timestamps, and stale markers under a churned series' old epoch.
 */

const o = oracle();
const skip = typeof o === 'string' ? o : false;
const EPOCH_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STALE_BITS = '7ff0000000000002';

/** What the test needs of an encoder: the 1.0 and 2.0 encoders both have this shape. */
export interface PushEncoder {
  readonly buf: Uint8Array;
  readonly length: number;
  readonly samples: number;
  readonly currentEpoch: number;
  beginExporter(id: number, t: number, epochMs: number): void;
  appendLine(i: number): void;
  appendStale(i: number, epoch: number): void;
  reset(): void;
}

interface Expected {
  labels: [string, string][];
  bits: string;
  ts: number;
  /** where the sample came from, for messages */
  what: string;
  /** The family's type and help: 2.0 sends them as the series' metadata. */
  type: string;
  help: string;
}

export type EncoderFactory = (set: ExporterSet, layout: PushLayout, capacity: number) => PushEncoder;

/**
 * Encodes `visits` (exporter, t) into requests of at most `batch` samples, each compressed
 * with promsoak's snappy, and returns the bodies with what each sample must decode to: for
 * every visit all the exporter's lines, and under churn, when the epoch turned since the
 * visit before of the same exporter, the stale markers of the churned lines under the old one.
 */
export function encodeVisits(set: ExporterSet, make: EncoderFactory, visits: [number, number][], batch: number): { bodies: Uint8Array[]; expected: Expected[][] } {
  const m = set.model;
  const layout = buildPushLayout(m);
  const enc = make(set, layout, batch);
  const snappy = new SnappyCompressor();
  const bodies: Uint8Array[] = [];
  const expected: Expected[][] = [];
  let cur: Expected[] = [];
  const flush = (): void => {
    if (enc.samples === 0) return;
    const out = new Uint8Array(maxCompressedLength(enc.length));
    const n = snappy.compress(enc.buf, enc.length, out);
    bodies.push(out.slice(0, n));
    expected.push(cur);
    cur = [];
    enc.reset();
  };
  const lastEpoch = new Map<number, number>();
  const family = m.families.flatMap((f) => f.lines.map(() => f));
  for (const [id, t] of visits) {
    const text = parseTextSamples(set.renderToBuffer(id, t, 'text').toString('utf8'));
    assert.equal(text.length, m.lines, 'the text body has one sample line per model line');
    const ts = Math.floor(EPOCH_MS + t * 1000);
    enc.beginExporter(id, t, EPOCH_MS);
    const epoch = enc.currentEpoch;
    assert.equal(epoch, churnEpoch(m, id, t));
    const before = lastEpoch.get(id);
    lastEpoch.set(id, epoch);
    if (before !== undefined && before !== epoch) {
      for (let i = 0; i < m.lines; i++) {
        if (layout.churned[i] !== 1) continue;
        if (enc.samples === batch) {
          flush();
          enc.beginExporter(id, t, EPOCH_MS);
        }
        enc.appendStale(i, before);
        cur.push({ labels: layout.labelsOf(i, id, before), bits: STALE_BITS, ts, what: `exporter ${id} t ${t} line ${i} stale under epoch ${before}`, type: family[i]!.type, help: family[i]!.help });
      }
    }
    for (let i = 0; i < m.lines; i++) {
      if (enc.samples === batch) {
        flush();
        enc.beginExporter(id, t, EPOCH_MS);
      }
      enc.appendLine(i);
      const labels = expectedLabels(text[i]!, id);
      // The layout's own account of the series agrees with the text body's.
      assert.deepEqual(layout.labelsOf(i, id, epoch), labels, `labelsOf(${i}, ${id}, ${epoch})`);
      cur.push({ labels, bits: bitsOf(text[i]!.value), ts, what: `exporter ${id} t ${t} line ${i} (${text[i]!.name})`, type: family[i]!.type, help: family[i]!.help });
    }
  }
  flush();
  return { bodies, expected };
}

/** Every decoded request is exactly its expected samples, one sample per series, in order. */
export function assertDecoded(got: DecodedRequest[], expected: Expected[][]): void {
  assert.equal(got.length, expected.length);
  const byName = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  for (let r = 0; r < got.length; r++) {
    const req = got[r]!;
    assert.deepEqual(req.errors, [], `request ${r}`);
    assert.equal(req.series.length, expected[r]!.length, `request ${r}: series`);
    for (let k = 0; k < req.series.length; k++) {
      const s = req.series[k]!;
      const e = expected[r]![k]!;
      assert.deepEqual(s.labels, e.labels, e.what);
      for (let j = 1; j < s.labels.length; j++) assert.ok(byName(s.labels[j - 1]![0], s.labels[j]![0]) < 0, `${e.what}: labels sorted by name bytes, none twice`);
      assert.ok(s.labels.some(([n]) => n === '__name__'), `${e.what}: __name__`);
      assert.equal(s.samples.length, 1, e.what);
      assert.equal(s.samples[0]![0], e.bits, `${e.what}: value bits`);
      assert.equal(s.samples[0]![1], e.ts, `${e.what}: timestamp in ms`);
      if (s.metadata) assert.deepEqual(s.metadata, { type: METRIC_TYPE[e.type], help: e.help, unit: '' }, `${e.what}: metadata`);
    }
  }
}

/** io.prometheus.write.v2.Metadata.MetricType by family type. */
const METRIC_TYPE: Record<string, number> = { counter: 1, gauge: 2, histogram: 3, summary: 5, untyped: 0 };

export const v1: EncoderFactory = (set, layout, capacity) => new RemoteWriteV1Encoder(layout, set.model, capacity);
export const v2: EncoderFactory = (set, layout, capacity) => new RemoteWriteV2Encoder(layout, set.model, capacity);

/** Exporters of the profile and times (seconds since the origin): a few of each, spread. */
function visitsOf(exporters: number, times: number[]): [number, number][] {
  const ids = [0, 1, 9, 10, 99, 100, 200, 404, exporters - 1].filter((id, k, a) => id < exporters && a.indexOf(id) === k);
  return times.flatMap((t) => ids.map((id): [number, number] => [id, t]));
}

for (const [profile, times] of [
  ['default', [0, 1.25, 3600.5, 86_400 * 30 + 0.75]],
  // Churn: 60 s epochs, phases spread per exporter: 0 → 59 → 125 turns every exporter's epoch.
  ['churn', [0, 59, 125, 3725.5]],
  ['node-exporter-like', [0, 15, 900.25]],
] as const) {
  for (const [version, make] of [['1.0', v1], ['2.0', v2]] as const) {
  test(`remote write ${version}, ${profile}: the independent decoder reads exactly the profile's series and values`, { skip }, () => {
    const p = loadProfile(profile);
    const set = new ExporterSet(p);
    const { bodies, expected } = encodeVisits(set, make, visitsOf(p.exporters, [...times]), 2000);
    const got = decodeRequests(o as Exclude<typeof o, string>, version === '1.0' ? 'v1' : 'v2', bodies);
    assertDecoded(got, expected);
    if (version === '2.0') {
      for (const r of got) assert.ok(r.series.every((s) => s.metadata !== undefined), '2.0: every series has its metadata');
    }
    const all = expected.flat();
    if (profile === 'churn') assert.ok(all.filter((e) => e.bits === STALE_BITS).length > 0, 'stale markers were sent and checked');
    if (profile === 'node-exporter-like') assert.ok(all.some((e) => e.labels.some(([n]) => n === 'exported_instance')), 'the capture\'s instance label is exported_instance');
  });
}
}

test('remote write 2.0: length read in the middle of a request, then more samples: one request of them all', { skip }, () => {
  const p = loadProfile('default');
  const set = new ExporterSet(p);
  const all = encodeVisits(set, v2, [[3, 10], [4, 10]], 400); // one request of 400
  let reads = 0;
  const midway: EncoderFactory = (s, layout, capacity) => {
    const enc = new RemoteWriteV2Encoder(layout, s.model, capacity);
    const appendLine = enc.appendLine.bind(enc);
    // Read the length (assembling the request) every 150 samples, as a sender checking its size would.
    enc.appendLine = (i: number): void => {
      appendLine(i);
      if (enc.samples % 150 === 0) reads += enc.length > 0 ? 1 : 0;
    };
    return enc;
  };
  const mid = encodeVisits(set, midway, [[3, 10], [4, 10]], 400);
  assert.equal(reads, 2);
  assert.deepEqual(mid.bodies, all.bodies, 'the same bytes as without the reads');
  assertDecoded(decodeRequests(o as Exclude<typeof o, string>, 'v2', mid.bodies), mid.expected);
});

test('remote write 1.0 and 2.0: a sample past the capacity is a RangeError, and the request before it stays whole', { skip }, () => {
  const p = loadProfile('default');
  const set = new ExporterSet(p);
  const layout = buildPushLayout(set.model);
  for (const [version, make] of [['v1', v1], ['v2', v2]] as const) {
    const enc = make(set, layout, 10);
    enc.beginExporter(5, 20, EPOCH_MS);
    for (let i = 0; i < 10; i++) enc.appendLine(i);
    const before = enc.buf.slice(0, enc.length);
    assert.throws(() => enc.appendLine(10), RangeError, version);
    assert.deepEqual(enc.buf.slice(0, enc.length), before, `${version}: the request is unchanged`);
    // The encoder is whole after a reset: the next request decodes.
    enc.reset();
    enc.beginExporter(6, 20, EPOCH_MS);
    for (let i = 0; i < 10; i++) enc.appendLine(i);
    const out = new Uint8Array(maxCompressedLength(enc.length));
    const got = decodeRequests(o as Exclude<typeof o, string>, version, [out.slice(0, new SnappyCompressor().compress(enc.buf, enc.length, out))]);
    assert.equal(got[0]!.series.length, 10);
    assert.deepEqual(got[0]!.series[9]!.labels, layout.labelsOf(9, 6, 0));
  }
});
