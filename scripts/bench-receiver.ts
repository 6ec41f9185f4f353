/**
 * The engine's remote-write receiver against its scrape path, on the same series:
 * `node dist/scripts/bench-receiver.js [--samples 1000000]` (or `npm run bench -- --only receiver`).
 *
 * The default profile's first 10 exporters (200 series each), every 5 s of their clock:
 *   - receiver: one remote-write 1.0 request per interval holding the 10 exporters' 2000
 *     samples (Prometheus's max_samples_per_send), as the fleet's encoder writes it
 *     (src/push/encode-v1.ts), snappy-compressed; then decompressed, decoded and appended by
 *     RemoteWriteServer.store() (everything but HTTP) into one head; a second row without
 *     snappy (RemoteWriteIngester.ingest() on the uncompressed bytes);
 *   - scrape path: the cached ingester on the same exporters' text bodies (ExporterSet), each
 *     exporter a target, as the engine's scheduler calls it.
 * Timestamps only grow, as in a soak (a constant one would turn every sample into a duplicate
 * dropped early, an older one moves series to timestamps of their own). Requests are encoded
 * and bodies rendered outside the timed calls. Steady state: every series a cache hit.
 * ns/sample: the timed calls' wall time ÷ samples. B/sample: V8 heap bytes allocated per call
 * (scripts/lib/alloc-meter.ts), the request's or body's production measured alone and subtracted.
 */
import { loadProfile } from '../src/profile/load.js';
import { buildModel } from '../src/fleet/render/model.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';
import { RemoteWriteV1Encoder } from '../src/push/encode-v1.js';
import { buildPushLayout } from '../src/push/series-layout.js';
import { SnappyCompressor, maxCompressedLength } from '../src/push/snappy.js';
import { Head } from '../src/engine/ingest/head.js';
import { RemoteWriteIngester } from '../src/engine/ingest/remote-write.js';
import { RemoteWriteServer } from '../src/engine/remote-write-server.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';
import { exposeGc, measureAllocation } from './lib/alloc-meter.js';
import { machine, markdownTable, type Row } from './lib/rows.js';
import { runIfMain, scriptArgs } from './lib/script-cli.js';

const EXPORTERS = 10;
const INTERVAL_S = 5;
const EPOCH_MS = 1_700_000_000_000;

/** Remote-write requests of EXPORTERS exporters each, one interval later each time, into reused buffers. */
class RequestStream {
  readonly enc: RemoteWriteV1Encoder;
  private readonly snappy = new SnappyCompressor();
  readonly body: Uint8Array;
  bodyLength = 0;
  private t = 0;

  constructor(profile: string) {
    const model = buildModel(loadProfile(profile));
    this.enc = new RemoteWriteV1Encoder(buildPushLayout(model), model, model.lines * EXPORTERS);
    this.body = new Uint8Array(maxCompressedLength(this.enc.buf.length));
  }

  /** The next request: enc.buf[0, enc.length) uncompressed, body[0, bodyLength) compressed. */
  next(): void {
    const enc = this.enc;
    enc.reset();
    for (let id = 0; id < EXPORTERS; id++) {
      enc.beginExporter(id, this.t, EPOCH_MS);
      for (let i = 0; i < enc.model.lines; i++) enc.appendLine(i);
    }
    this.t += INTERVAL_S;
    this.bodyLength = this.snappy.compress(enc.buf, enc.length, this.body);
  }
}

export interface ReceiverRow {
  subject: string;
  samplesPerCall: number;
  bytesPerCall: number;
  nsPerSample: number;
  bytesPerSample: number;
}

/** Times `call` after `make` (untimed) until `minSamples`; its allocation with make's own subtracted. */
function measure(subject: string, make: () => void, call: () => number, bytesPerCall: () => number, minSamples: number): ReceiverRow {
  make();
  const perCall = call();
  for (let i = 0; i < 300; i++) {
    make();
    call();
  }
  const calls = Math.max(100, Math.ceil(minSamples / perCall));
  const allocCalls = Math.min(calls, 600);
  const both = measureAllocation(() => {
    make();
    call();
  }, allocCalls);
  const alone = measureAllocation(make, allocCalls);
  exposeGc()();
  let ns = 0;
  let samples = 0;
  for (let i = 0; i < calls; i++) {
    make();
    const t0 = performance.now();
    samples += call();
    ns += (performance.now() - t0) * 1e6;
  }
  return {
    subject,
    samplesPerCall: perCall,
    bytesPerCall: bytesPerCall(),
    nsPerSample: ns / samples,
    bytesPerSample: Math.max(0, both.bytesPerCall - alone.bytesPerCall) / perCall,
  };
}

export function benchReceiver(o: { profile?: string; minSamples?: number } = {}): ReceiverRow[] {
  const profile = o.profile ?? 'default';
  const minSamples = o.minSamples ?? 1_000_000;
  exposeGc();
  const rows: ReceiverRow[] = [];

  const rs = new RequestStream(profile);
  const server = new RemoteWriteServer(new RemoteWriteIngester(new Head({ window: 120 })));
  rows.push(
    measure(
      'receiver: snappy + decode + append (RemoteWriteServer.store)',
      () => rs.next(),
      () => {
        const r = server.store(rs.body, rs.bodyLength);
        if (r.status !== 204) throw new Error(`receiver refused the bench's request: ${r.line}`);
        return server.receiver.last.samples;
      },
      () => rs.bodyLength,
      minSamples,
    ),
  );

  const rp = new RequestStream(profile);
  const ing = new RemoteWriteIngester(new Head({ window: 120 }));
  rows.push(
    measure(
      'receiver: decode + append, uncompressed (RemoteWriteIngester.ingest)',
      () => rp.next(),
      () => ing.ingest(rp.enc.buf, rp.enc.length),
      () => rp.enc.length,
      minSamples,
    ),
  );

  // The scrape path on the same exporters: 4 bodies per exporter differing only in values, in turn, timestamps growing.
  const set = new ExporterSet(loadProfile(profile));
  const bodies = Array.from({ length: EXPORTERS }, (_, id) => [0, 5, 10, 15].map((t) => set.renderToBuffer(id, t, 'text')));
  const targets = Array.from({ length: EXPORTERS }, (_, id) => `exporter-${id}`);
  const cached = new CachedIngester({ headWindow: 120, sampleLimit: 0 });
  let k = 0;
  rows.push(
    measure(
      'scrape path: cached ingester, text 0.0.4 (10 targets, one scrape each per call)',
      () => k++,
      () => {
        let n = 0;
        const ts = EPOCH_MS + k * INTERVAL_S * 1000;
        for (let id = 0; id < EXPORTERS; id++) n += cached.ingest(bodies[id]![k % 4]!, targets[id]!, ts, CONTENT_TYPE.text);
        return n;
      },
      () => bodies.reduce((a, b) => a + b[0]!.length, 0),
      minSamples,
    ),
  );
  return rows;
}

/** bench.ts's rows. */
export function runReceiverBench(minSamples: number): Row[] {
  const rows = benchReceiver({ minSamples });
  const scrape = rows[rows.length - 1]!.nsPerSample;
  return rows.map((r, i) => ({
    bench: 'receiver',
    subject: r.subject,
    input: `default profile, 10 exporters × 200 series, ${r.samplesPerCall} samples a call (${(r.bytesPerCall / 1024).toFixed(0)} KiB)`,
    nsPerSample: r.nsPerSample,
    mbPerSecond: (r.bytesPerCall / r.samplesPerCall) / r.nsPerSample * 1e3,
    bytesPerSample: r.bytesPerSample,
    note: i < rows.length - 1 ? `${(r.nsPerSample / scrape).toFixed(2)}x the scrape path's ns/sample on the same series` : 'every series a cache hit, the scrape sequence on',
  }));
}

runIfMain(import.meta.url, 'bench-receiver', async () => {
  const cli = scriptArgs('bench-receiver');
  const samples = cli.num('--samples') ?? 1_000_000;
  if (!(Number.isSafeInteger(samples) && samples > 0)) cli.usage(`--samples must be a positive integer (got ${cli.val('--samples')})`);
  const rows = runReceiverBench(samples);
  process.stdout.write(`bench-receiver on ${machine()}\ncommand: node dist/scripts/bench-receiver.js ${process.argv.slice(2).join(' ')}\n\n${markdownTable(rows)}\n`);
});
