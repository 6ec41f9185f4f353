import type { Server } from 'node:http';
import { PromsoakError, isPromsoakError } from '../common/errors.js';
import { DEFAULTS } from '../common/defaults.js';
import { nonNegativeInt, port, positiveInt, seconds } from '../common/options.js';
import { engineChannel, type EngineStartedEvent } from '../protocol/engine-channels.js';
import { ScrapeLog } from '../protocol/scrape-log.js';
import { ScrapeClient } from './client.js';
import type { Ingester } from './ingest/ingester.js';
import { loadIngester } from './ingest/load.js';
import type { EngineOptions, EngineStats, TargetStatus } from '../protocol/engine.js';
import { Scheduler } from './scheduler.js';
import { SelfMetrics } from './self-metrics.js';
import { readFileSd, type ScrapeTarget } from './targets.js';
import { startReceiver } from './receiver.js';
import type { RemoteWriteServer } from './remote-write-server.js';

export interface Engine {
  /** The targets scraped now (the file's at the start, then at the last retarget). */
  readonly targets: readonly ScrapeTarget[];
  readonly ingester: Ingester;
  readonly ingesterName: string;
  readonly intervalSeconds: number;
  readonly metricsUrl?: string;
  /** The remote-write receiver's URL, with receivePort. */
  readonly writeUrl?: string;
  readonly receiver?: RemoteWriteServer;
  readonly client: ScrapeClient;
  stats(): EngineStats;
  targetStatus(): TargetStatus[];
  /**
   * Re-reads the targets file and scrapes what it lists from now on (scheduler.ts retarget);
   * returns how many. A file that cannot be read or is not file_sd throws and changes nothing.
   */
  retarget(): number;
  close(): Promise<void>;
}

/** Checks options before defaults are filled in; messages name the option. */
export function resolveEngineOptions(
  o: EngineOptions,
): Required<Omit<EngineOptions, 'metricsPort' | 'receivePort' | 'targetsFile'>> & { metricsPort?: number; receivePort?: number; targetsFile?: string } {
  const bad = (m: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', m);
  if (!o.targetsFile && o.receivePort === undefined) throw bad('--targets <file_sd.json> is required (or --receive <port> to only receive remote write)');
  port('--receive', o.receivePort);
  seconds('--interval', o.intervalSeconds, { max: DEFAULTS.maxIntervalSeconds });
  seconds('--timeout', o.timeoutSeconds, { max: DEFAULTS.maxIntervalSeconds });
  nonNegativeInt('--sample-limit', o.sampleLimit);
  nonNegativeInt('--body-limit', o.bodyLimitBytes);
  port('--metrics-port', o.metricsPort);
  positiveInt('--head-window', o.headWindow, DEFAULTS.maxHeadWindow);
  positiveInt('--connections', o.connections);
  nonNegativeInt('phaseOffsetMs', o.phaseOffsetMs);
  const intervalSeconds = o.intervalSeconds ?? DEFAULTS.intervalSeconds;
  const timeoutSeconds = o.timeoutSeconds ?? Math.min(DEFAULTS.maxTimeoutSeconds, intervalSeconds);
  if (timeoutSeconds > intervalSeconds) throw bad(`--timeout (${timeoutSeconds}s) must not exceed --interval (${intervalSeconds}s)`);
  return {
    targetsFile: o.targetsFile,
    intervalSeconds,
    timeoutSeconds,
    ingester: o.ingester ?? DEFAULTS.ingester,
    headWindow: o.headWindow ?? DEFAULTS.headWindow,
    sampleLimit: o.sampleLimit ?? 0,
    bodyLimitBytes: o.bodyLimitBytes ?? 0,
    connections: o.connections ?? DEFAULTS.connections,
    metricsPort: o.metricsPort,
    receivePort: o.receivePort,
    phaseOffsetMs: o.phaseOffsetMs ?? 0,
  };
}

/**
 * Starts the ingestion engine in this process: file_sd → scheduler → client → ingester, plus
 * its /metrics when asked. The child entry (main.ts) and `promsoak engine` both use this.
 */
export async function startEngine(options: EngineOptions): Promise<Engine> {
  const o = resolveEngineOptions(options);
  const targets = o.targetsFile ? readFileSd(o.targetsFile) : [];
  if (o.targetsFile && targets.length === 0) throw new PromsoakError('PROMSOAK_TARGETS_INVALID', `${o.targetsFile} lists no targets`);
  const ingester = await loadIngester(o.ingester, { headWindow: o.headWindow, sampleLimit: o.sampleLimit });
  const client = new ScrapeClient({ connections: o.connections, bodyLimit: o.bodyLimitBytes });
  let receiver: RemoteWriteServer | undefined;
  /** The head's series and bytes, the receiver's cache and buffers among them (what the agent's frames and stats() report). */
  const ingesterStats = (): { series: number; bytes: number } => {
    const s = ingester.stats?.();
    return { series: s?.series ?? 0, bytes: (s?.bytes ?? 0) + (receiver ? receiver.receiver.bytes + receiver.bufferBytes : 0) };
  };
  let scheduler: Scheduler | undefined;
  const metrics = new SelfMetrics({
    headSeries: () => ingesterStats().series,
    headBytes: () => ingesterStats().bytes,
    targets: () => scheduler?.statuses() ?? [],
  });
  // For a telemetry agent, when one listens: nothing is recorded for it otherwise.
  const scrapeLog = engineChannel.hasSubscribers ? new ScrapeLog() : undefined;
  scheduler = new Scheduler(targets, client, ingester, { intervalMs: o.intervalSeconds * 1000, timeoutMs: o.timeoutSeconds * 1000, phaseOffsetMs: o.phaseOffsetMs }, metrics, scrapeLog);
  let server: Server | undefined;
  let metricsUrl: string | undefined;
  let writeUrl: string | undefined;
  if (o.receivePort !== undefined) {
    try {
      ({ receiver, url: writeUrl } = await startReceiver(ingester, o.ingester, o.receivePort, metrics, scrapeLog));
    } catch (e) {
      await client.close();
      throw e;
    }
  }
  if (o.metricsPort !== undefined) {
    try {
      ({ server, url: metricsUrl } = await metrics.serve(o.metricsPort));
    } catch (e) {
      await receiver?.close();
      await client.close();
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PromsoakError('PROMSOAK_PORT_IN_USE', `--metrics-port ${o.metricsPort} is already in use (0 picks a free one)`);
      }
      throw e;
    }
  }
  const started = performance.now();
  const sched = scheduler;
  sched.start();
  let closed: Promise<void> | undefined;
  /** The stats at close, before the ingester lets go of its series. */
  let frozen: EngineStats | undefined;
  const engine: Engine = {
    get targets() {
      return sched.targets;
    },
    ingester,
    ingesterName: o.ingester,
    intervalSeconds: o.intervalSeconds,
    metricsUrl,
    writeUrl,
    receiver,
    client,
    targetStatus: () => sched.statuses(),
    retarget: () => {
      if (!o.targetsFile) throw new PromsoakError('PROMSOAK_USAGE', 'retarget: this engine was started without a targets file (--receive only)');
      return sched.retarget(readFileSd(o.targetsFile));
    },
    stats: () => {
      if (frozen) return { ...frozen };
      const c = sched.counters;
      const h = ingesterStats();
      const rw = receiver?.counts;
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      return {
        timeMs: Date.now(),
        uptimeSeconds: (performance.now() - started) / 1000,
        samples: c.samples + (rw?.samples ?? 0),
        scrapesOk: c.scrapesOk,
        scrapesFailed: c.scrapesFailed,
        scrapesSkipped: c.scrapesSkipped,
        bodyBytes: c.bodyBytes,
        bodyBufferBytes: client.bufferBytesAllocated,
        seriesAdded: c.seriesAdded + (rw?.seriesAdded ?? 0),
        ...(rw && { writeRequestsOk: rw.ok, writeRequestsRejected: rw.rejected }),
        series: h.series,
        headBytes: h.bytes,
        targets: sched.targetCount,
        targetsUp: sched.targetsUp,
        cpuUserMicros: cpu.user,
        cpuSystemMicros: cpu.system,
        heapUsedBytes: mem.heapUsed,
        rssBytes: mem.rss,
      };
    },
    close: () =>
      (closed ??= (async () => {
        await sched.stop();
        await receiver?.close();
        if (server) await new Promise<void>((r) => server!.close(() => r()));
        await client.close();
        frozen = engine.stats();
        try {
          await ingester.close?.();
        } catch (e) {
          if (!isPromsoakError(e)) throw e;
        }
      })()),
  };
  if (scrapeLog !== undefined) engineChannel.publish({ stats: engine.stats, head: ingesterStats, scrapes: scrapeLog } satisfies EngineStartedEvent);
  return engine;
}
