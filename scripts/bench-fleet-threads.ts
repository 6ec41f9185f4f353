import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { spawnShard } from './lib/shard-process.js';
import type { Row } from './lib/rows.js';

/**
 * Does serving scale with threads? `promsoak fleet --threads T` as its own process, T = 1 and
 * 2, each serving port loaded to saturation by its own wrk (one thread, `connections`
 * keep-alive connections, `depth` requests pipelined on each, rotating over the exporters):
 * scrapes/s the fleet served, the CPU it used, and the scrapes per fleet core. On a machine with
 * no more cores than threads, wrk competes with the fleet for them (on 2 cores it takes most of
 * one), so the ratio of throughputs is capped by the cores left; the scrapes per fleet core show
 * whether the threads themselves contend. (HEAD would spare wrk the bodies, but wrk cannot read
 * pipelined HEAD responses: it waits for the bodies their Content-Length announces.)
 */
export interface ThreadsResult {
  threads: number;
  method: 'GET' | 'HEAD';
  scrapesPerSecond: number;
  fleetCores: number;
  /** Fleet CPU per scrape, µs. */
  microsPerScrape: number;
  /** Each serving thread's CPU in cores over the window (from /stats threads). */
  threadCores: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measureFleetThreads(o: { threads: number; method: 'GET' | 'HEAD'; seconds: number; connections?: number; depth?: number; profile?: string }): Promise<ThreadsResult> {
  const { connections = 32, depth = 8, profile = 'default' } = o;
  const out = mkdtempSync(join(tmpdir(), 'promsoak-fleet-threads-'));
  const fleet = await spawnShard([profile, '--threads', String(o.threads), '--out', out]);
  try {
    const ports = /serving threads? \(ports? ([\d, ]+)\)/.exec(fleet.readyLine)![1]!.split(', ').map(Number);
    const script = join(out, 'pipeline.lua');
    writeFileSync(
      script,
      `local i = 0\nrequest = function()\n  local r = {}\n  for k = 1, ${depth} do\n    i = (i + 1) % 1000\n    r[k] = wrk.format("${o.method}", "/exporters/" .. i .. "/metrics")\n  end\n  return table.concat(r)\nend\n`,
    );
    const stats = async (): Promise<{ scrapes: number; cpuSeconds: number; threads: { cpuSeconds: number }[] }> => {
      const s = (await (await fetch(`${fleet.url}/stats`)).json()) as { totals: { scrapes: number; cpuSeconds: number }; threads: { cpuSeconds: number }[] };
      return { scrapes: s.totals.scrapes, cpuSeconds: s.totals.cpuSeconds, threads: s.threads };
    };
    await sleep(500);
    const s0 = await stats();
    const t0 = performance.now();
    await Promise.all(ports.map((p) => wrk(`http://127.0.0.1:${p}`, script, o.seconds, connections)));
    const wall = (performance.now() - t0) / 1000;
    const s1 = await stats();
    const cpu = s1.cpuSeconds - s0.cpuSeconds;
    const scrapes = s1.scrapes - s0.scrapes;
    return {
      threads: o.threads,
      method: o.method,
      scrapesPerSecond: scrapes / wall,
      fleetCores: cpu / wall,
      microsPerScrape: (cpu / scrapes) * 1e6,
      threadCores: s1.threads.slice(1).map((t, i) => (t.cpuSeconds - s0.threads[i + 1]!.cpuSeconds) / wall),
    };
  } finally {
    await fleet.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

function wrk(url: string, script: string, seconds: number, connections: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wrk exited ${code}`))));
  });
}

/** Rows: for each method, 1 and 2 threads and the ratio of their throughputs. */
export async function runFleetThreadsBench(seconds = 10): Promise<Row[]> {
  const rows: Row[] = [];
  for (const method of ['GET'] as const) {
    const one = await measureFleetThreads({ threads: 1, method, seconds });
    const two = await measureFleetThreads({ threads: 2, method, seconds });
    for (const r of [one, two]) {
      rows.push({
        bench: 'fleet-threads',
        subject: `promsoak fleet, ${r.threads} serving thread${r.threads === 1 ? '' : 's'}`,
        input: `default profile, ${method} pipelined (wrk -t1 -c32, 8 deep, one wrk per port), ${seconds} s`,
        note:
          `**${Math.round(r.scrapesPerSecond)} scrapes/s**` +
          (r === two ? ` (**${(two.scrapesPerSecond / one.scrapesPerSecond).toFixed(2)}x** one thread's)` : '') +
          `, fleet ${r.fleetCores.toFixed(2)} cores (threads ${r.threadCores.map((c) => c.toFixed(2)).join(' + ')}), ` +
          `**${Math.round(r.scrapesPerSecond / r.fleetCores)} scrapes/s per fleet core**` +
          (r === two ? ` (${((two.scrapesPerSecond / two.fleetCores / (one.scrapesPerSecond / one.fleetCores)) * 100).toFixed(0)} % of one thread's)` : '') +
          `, ${r.microsPerScrape.toFixed(1)} µs CPU/scrape`,
      });
    }
  }
  return rows;
}

runIfMain(import.meta.url, 'bench-fleet-threads', async () => {
  const a = scriptArgs('bench-fleet-threads');
  const rows = await runFleetThreadsBench(a.num('--seconds') ?? 10);
  for (const r of rows) process.stdout.write(`${r.subject} | ${r.input} | ${r.note}\n`);
});
