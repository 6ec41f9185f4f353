import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { spawnShard } from './lib/shard-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A process's resident memory, MiB (VmRSS of /proc/<pid>/status). */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface PipelineRss {
  beforeMiB: number;
  peakMiB: number;
  /** After the clients closed and the fleet had `settleMs` to let go. */
  afterMiB: number;
  /** The fleet's /stats totals.connectionsCut at the end (undefined: a fleet that does not count it). */
  connectionsCut: number | undefined;
}

/**
 * Finding 11's measurement: `promsoak fleet <profile>` as a child process on 127.0.0.1, and
 * `clients` connections that each pipeline `requests` GETs of `path` and never read, for
 * `holdMs`; the fleet's RSS before, at its peak (sampled every 100 ms), and `settleMs`
 * after the clients closed. Bounded: one fleet, a fixed count of requests, a fixed time.
 */
export async function measurePipelineRss(o: { profile?: string; path?: string; clients?: number; requests?: number; holdMs?: number; settleMs?: number; stallSeconds?: number } = {}): Promise<PipelineRss> {
  const { profile = 'default', path = '/sd', clients = 6, requests = 20_000, holdMs = 10_000, settleMs = 3000 } = o;
  const out = mkdtempSync(join(tmpdir(), 'promsoak-pipeline-rss-'));
  const fleet = await spawnShard([profile, '--threads', '1', '--out', out, ...(o.stallSeconds !== undefined ? ['--stall-seconds', String(o.stallSeconds)] : [])]);
  const pid = fleet.child.pid!;
  const port = Number(new URL(fleet.url).port);
  const sockets: Socket[] = [];
  try {
    await sleep(1000);
    const beforeMiB = rssMiB(pid);
    const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    for (let c = 0; c < clients; c++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {}); // the fleet may cut it off: that is the point
      s.pause();
      sockets.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
      for (let i = 0; i < requests && !s.destroyed; i++) s.write(req);
    }
    let peakMiB = beforeMiB;
    const until = Date.now() + holdMs;
    while (Date.now() < until) {
      peakMiB = Math.max(peakMiB, rssMiB(pid));
      await sleep(100);
    }
    for (const s of sockets) s.destroy();
    await sleep(settleMs);
    const afterMiB = rssMiB(pid);
    const stats = (await (await fetch(`${fleet.url}/stats`)).json()) as { totals?: { connectionsCut?: number } };
    return { beforeMiB, peakMiB, afterMiB, connectionsCut: stats.totals?.connectionsCut };
  } finally {
    for (const s of sockets) s.destroy();
    await fleet.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, 'fleet-pipeline-rss', async () => {
  const a = scriptArgs('fleet-pipeline-rss');
  const r = await measurePipelineRss({ path: a.val('--path'), clients: a.num('--clients'), requests: a.num('--requests'), holdMs: a.num('--hold-ms') });
  const f = (v: number): string => v.toFixed(0);
  process.stdout.write(`fleet RSS: ${f(r.beforeMiB)} MiB before, ${f(r.peakMiB)} MiB at the peak, ${f(r.afterMiB)} MiB after the clients closed; connections cut: ${r.connectionsCut ?? 'not counted'}\n`);
});
