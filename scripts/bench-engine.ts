/**
 * Engine benchmark: `node dist/scripts/bench-engine.js [--json] [--e2e-seconds 20] [--e2e-ingesters cached,naive] [--no-e2e]`
 *
 * (a) Ingester only: each ingester (and a parser peer) on the same bytes, held in memory: the
 *     default profile's exporter body (text 0.0.4 and OpenMetrics, as ExporterSet renders it)
 *     and a Prometheus 2.x self-scrape (test/data/prometheus-alltypes.237mfs.prom.txt).
 *     Four bodies that differ only in values (as a real target's consecutive scrapes do: the
 *     fleet's body at t = 0, 5, 10, 15 s; the capture's values rewritten by valueVariants) are
 *     ingested in turn as one target, so after the first call every series is a scrape-cache
 *     hit and every line repeats the last scrape's bytes but its value: the steady state of a
 *     scraper. The peer parses the same four bodies in the same turn. ≥ 1M samples per row.
 *     ns/sample: wall time of the loop ÷ samples. bytes/sample: V8 heap bytes allocated,
 *     counted with heapUsed read after every call in a separate pass (see
 *     scripts/lib/alloc-meter.ts; calls during which a GC ran are left out), checked
 *     against the alloc-ingester fixture, which allocates a known 256 B/sample.
 * (b) End to end: the fleet (default profile, 1000 exporters × 200 series every 5 s) and the
 *     engine as a child process for N seconds; engine CPU µs/sample = Δ process.cpuUsage() of
 *     the child (reported over IPC) ÷ Δ samples, after a warm-up of one interval + 2 s.
 *
 * The exported functions return rows, for a script that aggregates them into docs/benchmarks.md.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';
import { loadProfile } from '../src/profile/load.js';
import { loadIngester } from '../src/engine/ingest/load.js';
import { useSeqKernel } from '../src/engine/wasm/seq-kernel.js';
import { exposeGc, measureAllocation } from './lib/alloc-meter.js';
import { valueVariants } from './lib/vary-values.js';
import { pairedEngines, type EndToEndRow } from './lib/engine-pair.js';

export interface BenchBody {
  name: string;
  body: Buffer;
  contentType: string;
  /** Scrapes of the same target: `body` first, then bodies differing from it only in values. */
  variants: Buffer[];
}

export interface IngesterRow {
  body: string;
  ingester: string;
  samplesPerBody: number;
  bodyBytes: number;
  samples: number;
  nsPerSample: number;
  mbPerSecond: number;
  bytesPerSample: number;
  /** The row is the calibration fixture: bytesPerSample should read `expectBytesPerSample`. */
  expectBytesPerSample?: number;
}


export function machine(): { cpu: string; cores: number; node: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
}

/** benchIngesters' name for the cached ingester without its WebAssembly matcher. */
export const JS_MATCHER = 'cached, JavaScript matcher (PROMSOAK_SEQ_KERNEL=js)';
const ALLTYPES = fileURLToPath(new URL('../../test/data/prometheus-alltypes.237mfs.prom.txt', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/alloc-ingester.js', import.meta.url));

export function benchBodies(): BenchBody[] {
  const set = new ExporterSet(loadProfile('default'));
  const scrapes = (format: 'text' | 'openmetrics'): Buffer[] => [0, 5, 10, 15].map((t) => set.renderToBuffer(0, t, format));
  const text = scrapes('text');
  const om = scrapes('openmetrics');
  const bodies: BenchBody[] = [
    { name: 'default profile, text', body: text[0]!, contentType: CONTENT_TYPE.text, variants: text },
    { name: 'default profile, OpenMetrics', body: om[0]!, contentType: CONTENT_TYPE.openmetrics, variants: om },
  ];
  const variants = valueVariants(readFileSync(ALLTYPES), 4);
  bodies.push({ name: 'prometheus-alltypes.237mfs', body: variants[0]!, contentType: CONTENT_TYPE.text, variants });
  return bodies;
}

/** (a) Each ingester on each body, in this process. */
export async function benchIngesters(o: { minSamples?: number; ingesters?: string[]; bodies?: BenchBody[] } = {}): Promise<IngesterRow[]> {
  const minSamples = o.minSamples ?? 1_000_000;
  const specs = o.ingesters ?? ['cached', JS_MATCHER, 'naive', `module:${FIXTURE}`];
  const rows: IngesterRow[] = [];
  exposeGc();
  for (const b of o.bodies ?? benchBodies()) {
    for (const spec of specs) {
      // The cached ingester with its WebAssembly sequence matcher off, as PROMSOAK_SEQ_KERNEL=js.
      useSeqKernel(spec !== JS_MATCHER);
      const ing = await loadIngester(spec === JS_MATCHER ? 'cached' : spec, { headWindow: 120, sampleLimit: 0 });
      let k = 0;
      const ingest = (): number => ing.ingest(b.variants[k++ % b.variants.length]!, 'bench', 0, b.contentType);
      const perBody = ingest();
      const calls = Math.ceil(minSamples / perBody);
      // Warm-up long enough that optimising compiles (code and feedback land on the heap) are over before the allocation count.
      for (let i = 0; i < Math.min(2000, Math.max(500, calls / 4)); i++) ingest();
      const alloc = measureAllocation(ingest, Math.min(calls, 5000));
      exposeGc()();
      const t0 = process.hrtime.bigint();
      let samples = 0;
      for (let i = 0; i < calls; i++) samples += ingest();
      const ns = Number(process.hrtime.bigint() - t0);
      await ing.close?.();
      useSeqKernel(true);
      const fixture = spec.startsWith('module:');
      rows.push({
        body: b.name,
        ingester: fixture ? 'alloc-ingester (calibration)' : spec,
        samplesPerBody: perBody,
        bodyBytes: b.body.length,
        samples,
        nsPerSample: ns / samples,
        mbPerSecond: (b.body.length * calls) / 1e6 / (ns / 1e9),
        bytesPerSample: alloc.bytesPerCall / perBody,
        expectBytesPerSample: fixture ? (ing as unknown as { bytesPerSample: number }).bytesPerSample : undefined,
      });
    }
    rows.push(await benchParserPeer(b, minSamples));
  }
  return rows;
}

/** Peer on the same bytes: parse-prometheus-text-format (parse only, body → string → families). */
async function benchParserPeer(b: BenchBody, minSamples: number): Promise<IngesterRow> {
  const require = createRequire(import.meta.url);
  const parse = require('parse-prometheus-text-format') as (text: string) => Array<{ metrics: unknown[] }>;
  let k = 0;
  const run = (): number => {
    let n = 0;
    for (const f of parse(b.variants[k++ % b.variants.length]!.toString('utf8'))) n += f.metrics.length;
    return n;
  };
  // It counts a histogram or summary as one metric; count samples as the lines it read.
  const perBody = countSampleLines(b.body);
  const calls = Math.ceil(minSamples / perBody);
  for (let i = 0; i < Math.min(500, calls / 4); i++) run();
  const alloc = measureAllocation(run, Math.min(calls, 1000));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) run();
  const ns = Number(process.hrtime.bigint() - t0);
  return {
    body: b.name,
    ingester: 'peer: parse-prometheus-text-format (parse only)',
    samplesPerBody: perBody,
    bodyBytes: b.body.length,
    samples: perBody * calls,
    nsPerSample: ns / (perBody * calls),
    mbPerSecond: (b.body.length * calls) / 1e6 / (ns / 1e9),
    bytesPerSample: alloc.bytesPerCall / perBody,
  };
}

function countSampleLines(body: Buffer): number {
  let n = 0;
  for (const line of body.toString('utf8').split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

/** (b) Fleet + engine child for `seconds`; one row per ingester (each on a fleet of its own). */
export async function benchEndToEnd(o: { seconds?: number; ingesters?: string[]; profile?: string; threads?: number; execArgv?: string[] } = {}): Promise<EndToEndRow[]> {
  const rows: EndToEndRow[] = [];
  for (const ingester of o.ingesters ?? ['cached']) {
    const variant = { name: ingester, ingester, execArgv: o.execArgv ?? [] };
    rows.push(...(await pairedEngines({ seconds: o.seconds ?? 20, profile: o.profile, threads: o.threads, variants: [variant] })));
  }
  return rows;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = scriptArgs('bench-engine', args).val;
  const json = args.includes('--json');
  const m = machine();
  const out: string[] = [];
  out.push(`promsoak bench-engine on ${m.cpu} (${m.cores} cores), Node ${m.node}`);
  out.push(`command: node ${process.execArgv.join(' ')} ${process.argv.slice(1).map((a) => a.replace(process.cwd() + '/', '')).join(' ')}`.replace(/\s+/g, ' '));
  const ingRows = await benchIngesters();
  out.push('', '(a) ingester only, 4 bodies differing only in values in turn, every series a scrape-cache hit; bytes/sample = V8 heap allocation (heapUsed per call, GC calls left out)');
  out.push('| body | ingester | samples/body | ns/sample | MB/s | bytes/sample |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of ingRows) {
    const expect = r.expectBytesPerSample !== undefined ? ` (allocates ${r.expectBytesPerSample})` : '';
    out.push(`| ${r.body} | ${r.ingester} | ${r.samplesPerBody} | ${fmt(r.nsPerSample)} | ${fmt(r.mbPerSecond)} | ${fmt(r.bytesPerSample, 2)}${expect} |`);
  }
  let e2eRows: EndToEndRow[] = [];
  if (!args.includes('--no-e2e')) {
    const seconds = Number(arg('--e2e-seconds') ?? 20);
    const ingesters = (arg('--e2e-ingesters') ?? 'cached,naive').split(',');
    e2eRows = await benchEndToEnd({ seconds, ingesters });
    out.push('', `(b) end to end: fleet (default profile) + engine child, ${seconds} s, measured after one interval + 2 s; CPU = child's process.cpuUsage()`);
    out.push('| ingester | targets | samples/s | engine CPU µs/sample | engine CPU (cores) | scrapes ok/failed/skipped | series | head MiB | RSS MiB | body buffers KiB |');
    out.push('| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
    for (const r of e2eRows) {
      out.push(
        `| ${r.ingester} | ${r.targets} | ${fmt(r.samplesPerSecond, 0)} | ${fmt(r.cpuMicrosPerSample, 2)} | ${fmt(r.cpuCores, 2)} | ` +
          `${r.scrapesOk}/${r.scrapesFailed}/${r.scrapesSkipped} | ${r.series} | ${fmt(r.headBytes / 1048576)} | ${fmt(r.rssBytes / 1048576)} | ${fmt(r.bodyBufferBytes / 1024, 0)} |`,
      );
    }
  }
  if (json) process.stdout.write(JSON.stringify({ machine: m, ingesters: ingRows, endToEnd: e2eRows }, null, 1) + '\n');
  else process.stdout.write(out.join('\n') + '\n');
}

runIfMain(import.meta.url, 'bench-engine', main);
