import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { Entry, parserFor, type ExpositionFormat } from '../src/engine/parse/index.js';
import { measureSync } from './lib/measure.js';
import { machine, markdownTable, type Row } from './lib/rows.js';

/**
 * The exposition parser alone, on the same bytes as its peer, parse-prometheus-text-format:
 * two real captures from test/data and a body the fleet renders for the default
 * profile. promsoak's parser iterates every entry and reads each sample's value and series
 * offsets (what the engine's cached ingester reads on a scrape-cache hit); the peer gets the
 * body decoded to a string (its input type), decoding included in its time.
 *
 * Allocation, two methods: heap B/sample is heapUsed growth over GC-free batches
 * (scripts/lib/measure.ts); "GCs" counts perf_hooks 'gc' entries during the measured runs
 * (zero GCs over millions of samples means no per-sample allocation).
 */

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const testdata = join(root, 'test', 'data');
const peer = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => unknown[];

interface Input {
  name: string;
  body: Uint8Array;
  format: ExpositionFormat;
}

function inputs(): Input[] {
  const out: Input[] = [];
  for (const f of ['prometheus-alltypes.237mfs.prom.txt', 'node_exporter-1.5.0.prom']) {
    out.push({ name: f, body: readFileSync(join(testdata, f)), format: 'text' });
  }
  const set = new ExporterSet(loadProfile('default'));
  out.push({ name: 'fleet default profile, text', body: set.renderToBuffer(0, 100, 'text'), format: 'text' });
  out.push({ name: 'fleet default profile, OpenMetrics', body: set.renderToBuffer(0, 100, 'openmetrics'), format: 'openmetrics' });
  return out;
}

/** GC entries seen while fn runs (delivered asynchronously, hence the wait). */
async function countGcs<T>(fn: () => T): Promise<[T, number]> {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    n += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const r = fn();
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  return [r, n];
}

export async function runParseBench(seconds = 3): Promise<Row[]> {
  const rows: Row[] = [];
  for (const input of inputs()) {
    const { body, format } = input;
    const p = parserFor(format);
    let sink = 0;
    const once = (): number => {
      p.reset(body);
      let n = 0;
      for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
        if (e === Entry.Series) {
          sink += p.seriesEnd - p.seriesStart + (p.value === p.value ? 1 : 0);
          n++;
        }
      }
      return n;
    };
    const samples = once();
    const reps = Math.max(1, Math.ceil(20_000 / samples)); // ~20k samples a batch
    const [ours, gcs] = await countGcs(() =>
      measureSync(() => {
        let n = 0;
        for (let k = 0; k < reps; k++) n += once();
        return n;
      }, seconds),
    );
    const mbps = (body.length / samples / ours.nsPerOp) * 1000;
    rows.push({
      bench: 'parse',
      subject: `promsoak ${format === 'text' ? 'TextParser' : 'OpenMetricsParser'}`,
      input: `${input.name} (${samples} samples, ${(body.length / 1024).toFixed(1)} KiB)`,
      nsPerSample: ours.nsPerOp,
      mbPerSecond: mbps,
      bytesPerSample: ours.bytesPerOp,
      note: `${gcs} GCs in ${(ours.ops / 1e6).toFixed(1)}M samples`,
    });
    if (format !== 'text') continue;
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const peerSamples = (peer(buf.toString('utf8')) as Array<{ metrics: unknown[] }>).reduce((n, f) => n + f.metrics.length, 0);
    const [theirs, peerGcs] = await countGcs(() =>
      measureSync(() => {
        sink += peer(buf.toString('utf8')).length;
        return samples;
      }, seconds),
    );
    rows.push({
      bench: 'parse',
      subject: 'parse-prometheus-text-format 1.1 (string decode included)',
      input: `same bytes (it counts ${peerSamples} metrics: histograms/summaries as one)`,
      nsPerSample: theirs.nsPerOp,
      mbPerSecond: (body.length / samples / theirs.nsPerOp) * 1000,
      bytesPerSample: theirs.bytesPerOp,
      note: `${peerGcs} GCs; promsoak is ${(theirs.nsPerOp / ours.nsPerOp).toFixed(1)}x faster`,
    });
    if (sink === -1) process.stderr.write('');
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = process.argv.includes('--quick') ? 1 : 3;
  const rows = await runParseBench(seconds);
  const command = `node dist/scripts/bench-parse.js${process.argv.includes('--quick') ? ' --quick' : ''}`;
  process.stdout.write(`Measured by \`${command}\` on ${machine()}.\n` +
    'ns/sample: total time / samples (mean over all batches); heap B/sample: heapUsed growth over GC-free batches; GCs: perf_hooks gc entries.\n\n' +
    markdownTable(rows) + '\n');
}
