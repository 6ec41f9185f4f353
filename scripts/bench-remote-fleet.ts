import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Summary } from '../src/analysis/summary.js';
import { connectFleet } from '../src/run/remote-fleet.js';
import { ShardPoller } from '../src/run/shard-poller.js';
import { runSoak } from '../src/run/soak.js';
import type { SoakOptions } from '../src/run/soak-plan.js';
import type { Row } from './lib/rows.js';
import { spawnShard } from './lib/shard-process.js';

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What `run --fleet` costs the coordinator: the default profile (40k samples/s) soaked once
 * from the soak's own fleet and once from two shards (`promsoak fleet --shard 0/2`, `1/2`,
 * child processes on 127.0.0.1) at the same load. The figure: this process's CPU while a
 * ShardPoller reads both shards' /stats once a second and nothing else runs, less the same
 * process idle for as long (timers, GC); beside it, the coordinator's CPU over each soak's
 * measured window (with its own fleet that includes the fleet's render threads, which the
 * shards then carry in their own processes).
 */
export async function runRemoteFleetBench(seconds = 15, warmup = 5, pollSeconds = 40): Promise<Row[]> {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-bench-remote-'));
  const shards = await Promise.all(['0/2', '1/2'].map((i) => spawnShard(['default', '--shard', i, '--threads', '1', '--out', join(out, `shard-${i.replace('/', 'of')}`)])));
  try {
    const fleet = shards.map((s) => s.url).join(',');
    const own = await soakCpu({ profile: 'default', durationSeconds: seconds, warmupSeconds: warmup, out });
    const remote = await soakCpu({ fleet, durationSeconds: seconds, warmupSeconds: warmup, out });
    // The polling alone, in this process, against the same two shards (idle now): windows
    // with and without it, interleaved after the soaks' aftermath has settled.
    const { shards: remoteShards } = await connectFleet({ fleet });
    await sleep(3000);
    let idleUs = 0;
    let pollUs = 0;
    let polls = 0;
    const half = pollSeconds / 4;
    for (let k = 0; k < 2; k++) {
      idleUs += await cpuOver(half, async () => {});
      const poller = new ShardPoller(remoteShards);
      pollUs += await cpuOver(half, async () => void poller.start());
      poller.stop();
      polls += poller.polls;
    }
    const pctOfCore = ((pollUs - idleUs) / ((pollSeconds / 2) * 1e6)) * 100;
    const perPoll = (pollUs - idleUs) / polls;
    const rate = (s: Summary): string => `${Math.round(s.samplesPerSecond.mean)}`;
    return [
      {
        bench: 'remote-fleet',
        subject: 'run --fleet: the coordinator reading 2 shards\' /stats',
        input: `default profile (${Math.round(remote.summary.load.expectedSamplesPerSecond / 1000)}k samples/s), 2 shards on loopback vs the soak's own fleet, ${seconds} s`,
        note:
          `**${pctOfCore.toFixed(3)} % of a core** polling (${polls} polls in ${pollSeconds / 2} s, ${perPoll.toFixed(0)} µs CPU each, measured alone against as long idle, interleaved); ` +
          `coordinator in the soak: ${own.cores.toFixed(3)} cores with its own fleet (its render threads included), ${remote.cores.toFixed(3)} with the 2 shards (their own CPU ${remote.summary.fleet.cpuCores} cores); ` +
          `samples/s ${rate(own.summary)} vs ${rate(remote.summary)}`,
      },
    ];
  } finally {
    await Promise.all(shards.map((s) => s.stop()));
    rmSync(out, { recursive: true, force: true });
  }
}

/** A soak, with this process's CPU over its measured window (first to last measured frame), in cores. */
async function soakCpu(o: SoakOptions): Promise<{ summary: Summary; cores: number }> {
  let first: { us: number; ms: number } | undefined;
  let last: { us: number; ms: number } | undefined;
  const r = await runSoak(o, (p) => {
    if (p.warmup) return;
    const now = { us: cpuUs(), ms: performance.now() };
    first ??= now;
    last = now;
  });
  if (r.exitCode !== 0) throw new Error(`bench soak failed (${r.dir}): ${r.summary.verdict.join(' ')}`);
  return { summary: r.summary, cores: first && last && last.ms > first.ms ? (last.us - first.us) / 1000 / (last.ms - first.ms) : NaN };
}

/** This process's CPU, µs, over `seconds` after `start`. */
async function cpuOver(seconds: number, start: () => Promise<void>): Promise<number> {
  const a = cpuUs();
  await start();
  await sleep(seconds * 1000);
  return cpuUs() - a;
}
