import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { spawnShard } from './lib/shard-process.js';
import type { Row } from './lib/rows.js';
import type { FleetStats } from '../src/protocol/fleet-stats.js';

/**
 * What pushing costs the fleet end to end, the way a receiver sees it: `promsoak fleet --push`
 * as its own process with one serving thread, pushing the default profile's series at a fixed
 * rate (exporters × 200 series every second) over `senders` keep-alive connections in batches
 * of 2000, to a receiver that discards (scripts/lib/rw-sink.ts, another process). From the
 * fleet's /stats: the serving thread's CPU against the samples generated and acknowledged over
 * the window — encoding, compression, HTTP and scheduling together.
 */
export interface PushFleetResult {
  protocol: 1 | 2;
  offeredPerSecond: number;
  generatedPerSecond: number;
  acknowledgedPerSecond: number;
  servingCores: number;
  nsPerSample: number;
  samplesPerFleetCore: number;
  wireBytesPerSample: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SINK = join(fileURLToPath(import.meta.url), '..', 'lib', 'rw-sink.js');

export async function measurePushFleet(o: { exporters: number; seconds: number; protocol?: 1 | 2; senders?: number }): Promise<PushFleetResult> {
  const protocol = o.protocol ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-push-bench-'));
  const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
  const profile = JSON.parse(readFileSync(join(root, 'profiles', 'default.json'), 'utf8')) as Record<string, unknown>;
  Object.assign(profile, { name: 'push-bench', exporters: o.exporters, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 });
  const profilePath = join(dir, 'push-bench.json');
  writeFileSync(profilePath, JSON.stringify(profile));
  const sink = spawn(process.execPath, [SINK], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      sink.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      sink.once('exit', () => reject(new Error('the sink exited at start')));
    });
    const fleet = await spawnShard([profilePath, '--threads', '1', '--out', dir, '--push', protocol === 2 ? 'remote-write:2' : 'remote-write', '--push-url', `http://127.0.0.1:${port}/api/v1/write`, '--senders', String(o.senders ?? 4)]);
    try {
      const stats = async (): Promise<FleetStats> => (await (await fetch(`${fleet.url}/stats`)).json()) as FleetStats;
      // Past the first rounds (threads warming up, connections opening).
      await sleep(3000);
      const a = await stats();
      await sleep(o.seconds * 1000);
      const b = await stats();
      const wall = (b.atMs - a.atMs) / 1000;
      const cpu = (s: FleetStats): number => (s.threads ?? []).filter((t) => t.role === 'serving').reduce((x, t) => x + t.cpuSeconds, 0);
      const servingCpu = cpu(b) - cpu(a);
      const generated = b.push!.totals.generated - a.push!.totals.generated;
      const acknowledged = b.push!.totals.acknowledged - a.push!.totals.acknowledged;
      return {
        protocol,
        offeredPerSecond: o.exporters * b.profile.seriesPerExporter,
        generatedPerSecond: generated / wall,
        acknowledgedPerSecond: acknowledged / wall,
        servingCores: servingCpu / wall,
        nsPerSample: (servingCpu / generated) * 1e9,
        samplesPerFleetCore: generated / servingCpu,
        wireBytesPerSample: (b.push!.totals.bytesWire - a.push!.totals.bytesWire) / Math.max(1, acknowledged),
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    sink.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPushFleetBench(seconds = 10, exporters = 2500): Promise<Row[]> {
  const rows: Row[] = [];
  for (const protocol of [1, 2] as const) {
    const r = await measurePushFleet({ exporters, seconds, protocol });
    rows.push({
      bench: 'push-fleet',
      subject: `promsoak fleet --push remote-write${protocol === 2 ? ':2' : ''}, 1 serving thread, 4 senders`,
      input: `default profile, ${exporters} exporters × 200 series every 1 s (${Math.round(r.offeredPerSecond / 1000)}k samples/s offered), batches of 2000, to a sink that discards`,
      nsPerSample: r.nsPerSample,
      note:
        `**${(r.samplesPerFleetCore / 1e6).toFixed(2)} M samples/s per fleet core** end to end (the serving thread's CPU: encode, snappy, HTTP, scheduling); ` +
        `${Math.round(r.generatedPerSecond)} generated/s, ${Math.round(r.acknowledgedPerSecond)} acknowledged/s on ${r.servingCores.toFixed(2)} cores, ${r.wireBytesPerSample.toFixed(1)} B/sample on the wire. Goal ≥ 3 M/s per core`,
    });
  }
  return rows;
}

runIfMain(import.meta.url, 'bench-push-fleet', async () => {
  const cli = scriptArgs('bench-push-fleet', process.argv.slice(2));
  const seconds = Number(cli.val('--seconds') ?? 10);
  const exporters = Number(cli.val('--exporters') ?? 2500);
  for (const r of await runPushFleetBench(seconds, exporters)) console.log(JSON.stringify(r));
});
