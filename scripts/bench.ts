import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, markdownTable, type Row } from './lib/rows.js';
import { runRenderBench } from './bench-render.js';
import { runScrapeBench } from './bench-scrape.js';
import { runParseBench } from './bench-parse.js';
import { benchEndToEnd, benchIngesters } from './bench-engine.js';
import { runMillionBench } from './bench-million.js';
import { runFixedCostBench } from './bench-fixed-cost.js';
import { runVsPrometheusBench } from './bench-vs-prometheus.js';
import { runTelemetryBench } from './bench-telemetry.js';
import { runTargetBench } from './bench-target.js';
import { runLiveMetricsBench } from './bench-live-metrics.js';
import { runRemoteFleetBench } from './bench-remote-fleet.js';
import { FLEET_SCRAPER_SETS, runFleetScraperBench } from './bench-fleet-scrapers.js';
import { scriptArgs } from './lib/script-cli.js';
import { runFleetThreadsBench } from './bench-fleet-threads.js';
import { runPushFleetBench } from './bench-push-fleet.js';
import { runPushEncodeBench } from './bench-push-encode.js';
import { runReceiverBench } from './bench-receiver.js';

/**
 * `npm run bench`: every benchmark in one run, on this machine, peers on the same bytes;
 * prints the table and writes it into docs/benchmarks.md between the bench markers.
 * Options: --quick (shorter runs), --no-readme (leave docs/benchmarks.md as it is), --only render,scrape,…
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const cli = scriptArgs('bench', args);
const only = args.includes('--only') ? (cli.val('--only') ?? cli.usage('--only needs a comma-separated list of groups')).split(',') : undefined;
const want = (name: string): boolean => !only || only.includes(name);
const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

const benches: [string, () => Promise<Row[]>][] = [
  ['render', () => runRenderBench('default', quick ? 1 : 3)],
  ['scrape', () => runScrapeBench('default', quick ? 4 : 10)],
  // The fleet scraped as a scraper does: Prometheus and a driver with one connection per exporter (node dist/scripts/bench-fleet-scrapers.js alone).
  ['fleet-scrapers', () => runFleetScraperBench(quick ? FLEET_SCRAPER_SETS.quick : FLEET_SCRAPER_SETS.full)],
  ['parse', () => runParseBench(quick ? 1 : 3)],
  [
    'ingest',
    async () => {
      const rows = await benchIngesters({ minSamples: quick ? 300_000 : 1_000_000 });
      // Each ingester against the parser peer on the same body, in the same run.
      const peer = (body: string): number | undefined => rows.find((p) => p.body === body && p.ingester.startsWith('peer:'))?.nsPerSample;
      return rows.map((r) => {
        const p = peer(r.body);
        const vs = !r.ingester.startsWith('peer:') && r.expectBytesPerSample === undefined && p !== undefined ? `; ${(p / r.nsPerSample).toFixed(1)}x the peer's speed` : '';
        return {
          bench: 'ingest',
          subject: r.expectBytesPerSample !== undefined ? `${r.ingester} (allocates ${r.expectBytesPerSample} B/sample)` : `ingester ${r.ingester}`,
          input: `${r.body} (${r.samplesPerBody} samples)`,
          nsPerSample: r.nsPerSample,
          mbPerSecond: r.mbPerSecond,
          bytesPerSample: r.bytesPerSample,
          note: r.ingester.startsWith('peer:') ? 'parse only, every scrape decoded to a string' : `parse + scrape cache + head, every series a cache hit${vs}`,
        };
      });
    },
  ],
  // The engine's remote-write receiver against the scrape path on the same series (node dist/scripts/bench-receiver.js alone).
  ['receiver', async () => runReceiverBench(quick ? 300_000 : 1_000_000)],
  [
    'engine',
    async () => [
      ...(await benchEndToEnd({ seconds: quick ? 10 : 20, ingesters: ['cached', 'naive'] })).map((r) => ({
        bench: 'engine',
        subject: `engine child, ingester ${r.ingester}`,
        input: `default profile fleet, ${r.targets} targets, ${r.seconds} s`,
        note:
          `**${r.cpuMicrosPerSample.toFixed(2)} µs CPU/sample** at ${Math.round(r.samplesPerSecond)} samples/s (${r.cpuCores.toFixed(2)} cores), ` +
          `scrapes ${r.scrapesOk} ok / ${r.scrapesFailed} failed, head ${(r.headBytes / 2 ** 20).toFixed(0)} MiB for ${r.series} series, RSS ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB`,
      })),
      // 1M series (node dist/scripts/bench-million.js runs this row alone).
      await runMillionBench(quick ? { durationSeconds: 20, warmupSeconds: 15 } : {}),
      // Fixed cost per second against cost per scrape (node dist/scripts/bench-fixed-cost.js alone).
      (await runFixedCostBench(quick ? { intervalsSeconds: [5, 20], durationSeconds: 15 } : {})).row,
      // Against Debian's Prometheus on one fleet, at once (node dist/scripts/bench-vs-prometheus.js alone).
      ...(await runVsPrometheusBench(['40k', '300k'], quick ? 1 : 3, quick ? 15 : 30)),
    ],
  ],
  // What pushing costs the fleet end to end (node dist/scripts/bench-push-fleet.js alone).
  ['push-fleet', () => runPushFleetBench(quick ? 5 : 10)],
  ['telemetry', () => runTelemetryBench(quick ? 2 : 16, quick ? 8 : 15)],
  ['target', async () => [...(await runTargetBench(quick ? 2 : 6, quick ? 5 : 10, 500, 100)), ...(await runTargetBench(quick ? 2 : 6, quick ? 5 : 10, 500, 1000))]],
  ['live-metrics', () => runLiveMetricsBench(quick ? 3 : 7)],
  ['remote-fleet', () => runRemoteFleetBench(quick ? 8 : 15, 5, quick ? 20 : 40)],
  ['fleet-threads', () => runFleetThreadsBench(quick ? 5 : 10)],
  // Remote-write requests encoded and compressed in one thread, beside the npm peers (node dist/scripts/bench-push-encode.js alone).
  ['push', () => runPushEncodeBench(quick ? 1 : 3)],
];

const unknown = only?.filter((n) => !benches.some(([name]) => name === n)) ?? [];
if (unknown.length) cli.usage(`--only: no group ${unknown.join(', ')} (groups: ${benches.map(([n]) => n).join(', ')})`);

const rows: Row[] = [];
const byGroup = new Map<string, Row[]>();
for (const [name, run] of benches) {
  if (!want(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  const r = await run();
  byGroup.set(name, r);
  rows.push(...r);
}

const command = `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`;
const page = join(root, 'docs', 'benchmarks.md');
const pageText = existsSync(page) ? readFileSync(page, 'utf8') : '';
/** Groups with a section of their own in docs/benchmarks.md: their rows go there, not in the main table. */
const ownSection = (name: string): boolean => pageText.includes(`<!-- bench:${name}:start -->`);
const mainRows = [...byGroup].filter(([name]) => !ownSection(name)).flatMap(([, r]) => r);
const table = `Measured by \`${command}\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}.\n\n${markdownTable(mainRows)}\n`;
process.stdout.write('\n' + `Measured by \`${command}\` on ${machine()}.\n\n${markdownTable(rows)}\n`);
if (!args.includes('--no-readme') && !only && existsSync(page)) {
  const text = readFileSync(page, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) {
    writeFileSync(page, text.slice(0, a + start.length) + '\n' + table + text.slice(b));
    process.stderr.write('bench: docs/benchmarks.md table updated\n');
  } else process.stderr.write(`bench: docs/benchmarks.md has no ${start} … ${end}: the table was not written\n`);
}
// A group with a section of its own (<!-- bench:<group>:start --> … end) gets its rows there,
// also when run alone with --only (the long groups are rerun on their own).
if (!args.includes('--no-readme') && existsSync(page)) {
  for (const [name, groupRows] of byGroup) {
    const text = readFileSync(page, 'utf8');
    const start = `<!-- bench:${name}:start -->`;
    const end = `<!-- bench:${name}:end -->`;
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) continue;
    const section = `Measured by \`${command}\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}.\n\n${markdownTable(groupRows)}\n`;
    writeFileSync(page, text.slice(0, a + start.length) + '\n' + section + text.slice(b));
    process.stderr.write(`bench: docs/benchmarks.md section ${name} updated\n`);
  }
}
