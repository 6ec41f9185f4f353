import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import type { Row } from './lib/rows.js';

/**
 * Exporter scrapes/s one fleet process sustains on loopback against a real load tool (a
 * ceiling: a few connections each asking for the next exporter at once, not a scraper's one
 * connection per exporter once per interval, which scripts/bench-fleet-scrapers.ts measures):
 * Debian's wrk (C, one thread, keep-alive) rotating over every exporter's path, so the
 * load tool takes as little of this 2-core machine as possible; autocannon when wrk is absent.
 */
export async function runScrapeBench(profileName = 'default', seconds = 10, connections = 16): Promise<Row[]> {
  const profile = loadProfile(profileName);
  // One serving thread, wrk on its port: the cost of one thread's serving path (the other core is wrk's).
  const fleet = await startFleet({ profile, threads: 1 });
  const url = `http://127.0.0.1:${fleet.ports[0]}`;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = (await hasWrk()) ? await wrk(url, profile.exporters, seconds, connections) : await autocannon(url, profile.exporters, seconds, connections);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const fleetCores = (cpu.user + cpu.system) / 1e6 / wall;
    const renderNsPerSample = fleet.stats.renderNs / fleet.stats.scrapes / fleet.seriesPerExporter;
    return [
      {
        bench: 'scrape',
        subject: `promsoak fleet (${fleet.threads} serving thread${fleet.threads > 1 ? 's' : ''})`,
        // Said plainly: a ceiling of scrapes/s, not a scraper's cost (that is the fleet-scrapers bench).
        input: `${profileName} profile, ${r.tool} -c${connections}: ${connections} connections rotating over all ${profile.exporters} exporters — not a scraper's pattern, ${seconds} s`,
        mbPerSecond: r.mbPerSecond,
        note:
          `**${Math.round(r.rps)} scrapes/s** (${Math.round(r.rps * fleet.seriesPerExporter / 1000)}k samples/s), p99 ${r.p99Ms.toFixed(1)} ms, ` +
          `${r.errors} errors, fleet CPU ${fleetCores.toFixed(2)} cores, render ${renderNsPerSample.toFixed(0)} ns/sample in the serving thread, ${fleet.stats.reused} of ${fleet.stats.scrapes} bodies recycled`,
      },
    ];
  } finally {
    await fleet.close();
  }
}

interface LoadResult {
  tool: string;
  rps: number;
  mbPerSecond: number;
  p99Ms: number;
  errors: number;
}

function hasWrk(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('wrk', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('exit', () => resolve(true));
  });
}

async function wrk(url: string, exporters: number, seconds: number, connections: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-wrk-'));
  const script = join(dir, 'rotate.lua');
  writeFileSync(
    script,
    `local i = 0\nrequest = function()\n  i = (i + 1) % ${exporters}\n  return wrk.format("GET", "/exporters/" .. i .. "/metrics")\nend\n`,
  );
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`wrk exited ${code}: ${s}`))));
  });
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const unit = (v: number, u: string | undefined): number => (u === 'us' ? v / 1000 : u === 's' ? v * 1000 : v);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const transfer = /Transfer\/sec:\s+([\d.]+)(KB|MB|GB)/.exec(out);
  const mb = transfer ? Number(transfer[1]) * (transfer[2] === 'GB' ? 1024 : transfer[2] === 'KB' ? 1 / 1024 : 1) : NaN;
  const errors = num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    tool: 'wrk',
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    mbPerSecond: mb * 1.048576,
    p99Ms: p99 ? unit(Number(p99[1]), p99[2]) : NaN,
    errors: errors + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

async function autocannon(url: string, exporters: number, seconds: number, connections: number): Promise<LoadResult> {
  const { default: ac } = await import('autocannon');
  const requests = Array.from({ length: exporters }, (_, i) => ({ method: 'GET' as const, path: `/exporters/${i}/metrics` }));
  const r = await ac({ url, connections, duration: seconds, requests });
  return { tool: 'autocannon', rps: r.requests.average, mbPerSecond: r.throughput.average / 1e6, p99Ms: r.latency.p99, errors: r.errors + r.non2xx };
}
