import { spawn } from 'node:child_process';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { startLiveMetrics } from '../src/run/live-metrics.js';
import { SoakMetrics } from '../src/run/soak-metrics.js';
import { median } from '../src/analysis/stats.js';
import type { Row } from './lib/rows.js';

/**
 * What `promsoak run --metrics-port` costs the coordinator: CPU to update the metrics from one
 * frame (once a second) and one GC event, and to serve one scrape of /metrics. CPU time
 * (process.cpuUsage), µs, median of batches; the frames are today's shape with every field set.
 */
export async function runLiveMetricsBench(batches = 7, longSoakSeconds = 86_400): Promise<Row[]> {
  const frame = (i: number): Frame => ({
    t: i + 1, startMs: 1.7e12 + i * 1000, endMs: 1.7e12 + (i + 1) * 1000, warmup: false, samples: 40_000 + (i % 7), scrapesOk: 200, scrapesFailed: 1,
    scrapesFailedByReason: { timeout: 1 }, seriesAdded: 3, series: 200_000, headBytes: 2.9e8, scrapeMs: { count: 200, p50: 0.4, p99: 1.8, max: 3 }, scrapeHistogram: '',
    cpu: { total: 0.04, user: 0.03, system: 0.01, main: 0.035, v8Platform: 0.003, worker: 0, other: 0.002 }, gcObserved: { count: 1, pauseMs: 1, byKind: { scavenge: { count: 1, pauseMs: 1 } } },
    heap: { usedBytes: 3e8, totalBytes: 3.2e8, externalBytes: 1e6, arrayBuffersBytes: 1e5, rssBytes: 3.7e8 }, eventLoop: { delayP50Ms: 0.15, delayP99Ms: 10, delayMaxMs: 16, utilization: 0.03 },
    fleet: { cpuCores: 0.08, queued: 0, scrapesServed: 200 }, agentMs: 0.9,
  });
  const gc: TimedGcEvent = { wallMs: 1.7e12, t: 1, isolate: '0x1', main: true, kind: 'scavenge', pauseMs: 0.7, incrementalMs: 0, backgroundMs: 0.3, allocatedBytes: 1e6, promotedBytes: 1e4, sizeBeforeBytes: 3e8, sizeAfterBytes: 2.99e8 };
  const cpuUs = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const perCall = (n: number, fn: (i: number) => void): number => {
    const a = cpuUs();
    for (let i = 0; i < n; i++) fn(i);
    return (cpuUs() - a) / n;
  };
  const m = new SoakMetrics({ profile: 'default', ingester: 'cached', target: 'engine' });
  perCall(2000, (i) => m.onFrame(frame(i))); // warm-up: JIT, and every series created
  const frames = median(Array.from({ length: batches }, () => perCall(2000, (i) => m.onFrame(frame(i)))));
  const gcs = median(Array.from({ length: batches }, () => perCall(5000, () => m.onGc(gc))));
  // A long soak: the running median holds every measured second's rate (one sorted insertion a second).
  const long = new SoakMetrics();
  for (let i = 0; i < longSoakSeconds; i++) long.onFrame(frame(i));
  const longFrames = median(Array.from({ length: batches }, () => perCall(200, (i) => long.onFrame(frame(i)))));
  const text = await m.registry.metrics();
  const render = median(await sequential(batches, () => timeAsync(100, () => m.registry.metrics(), cpuUs)));
  // Scrapes over HTTP on loopback from another process, so this process's CPU is the server's
  // alone (plus spawning the client, spread over its scrapes).
  const live = await startLiveMetrics({ port: 0 });
  live.onFrame(frame(0));
  live.onGc(gc);
  const scrape = median(await sequential(batches, () => serveCpu(live.url, 300, cpuUs)));
  await live.close();
  const us = (v: number): string => `${v.toFixed(1)} µs`;
  return [
    {
      bench: 'live-metrics',
      subject: 'promsoak run --metrics-port, coordinator CPU',
      input: `one frame a second, ${text.split('\n').filter((l) => l && !l.startsWith('#')).length} series, ${(text.length / 1024).toFixed(1)} KiB exposition`,
      note:
        `**${us(frames)} per frame** (${us(longFrames)} ${longSoakSeconds} s into a soak: the running median's insertion), ${us(gcs)} per GC event, ` +
        `${us(render)} per registry.metrics(), ${us(scrape)} per scrape served over HTTP (a client process on loopback)`,
    },
  ];
}

async function timeAsync(n: number, fn: () => Promise<unknown>, cpuUs: () => number): Promise<number> {
  const a = cpuUs();
  for (let i = 0; i < n; i++) await fn();
  return (cpuUs() - a) / n;
}

async function sequential<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

/** This process's CPU per scrape while a client process scrapes `url` n times, one after another. */
async function serveCpu(url: string, n: number, cpuUs: () => number): Promise<number> {
  const client = `const u = process.argv[1]; for (let i = 0; i < ${n}; i++) await (await fetch(u)).text();`;
  const a = cpuUs();
  const child = spawn(process.execPath, ['--input-type=module', '-e', client, url], { stdio: 'inherit' });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`scrape client exited ${code}`);
  return (cpuUs() - a) / n;
}
