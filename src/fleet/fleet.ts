import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { PortInUseError, PromsoakError } from '../common/errors.js';
import type { ResolvedProfile } from '../profile/load.js';
import { buildModel } from './render/model.js';
import { CONTENT_TYPE, type Format } from './render/layout.js';
import { negotiate } from './negotiate.js';
import type { ExporterWorkerData, RenderResult, RenderTask } from '../protocol/render.js';
import { targetGroups, writeFileSd, exporterPath, hostPort, advertisedHost, type TargetGroup } from './sd.js';
import { ConnectionQueues } from './connection-queue.js';
import { FaultPlan } from './faults.js';
import type { FaultKind } from '../profile/schema.js';
import { sendMalformed, sendOversized, sendReset, sendTruncated } from './fault-responses.js';
import { inShard, shardIds, describeIds, type Shard } from './shard.js';
import { FleetMeter, type FleetCounters } from './meter.js';
import { fleetRegistry } from './metrics.js';
import { usableCores } from './cores.js';
import { wireDigest, wireProfile } from '../profile/digest.js';
import type { FleetStats } from '../protocol/fleet-stats.js';
import type { Registry } from 'prom-client';

export interface FleetOptions {
  profile: ResolvedProfile;
  /** The address to listen on (`--listen`); default 127.0.0.1. */
  host?: string;
  /**
   * The host the targets in /sd and file_sd carry (`--advertise`); default: the listen
   * address, or this machine's hostname when that is a wildcard (0.0.0.0, ::).
   */
  advertise?: string;
  /** Serve only this shard's exporters (`--shard i/n`); absent: all of them. */
  shard?: Shard;
  /**
   * Wall-clock ms since 1970 that render time 0 is (`--epoch`); default: when the fleet
   * starts. Shards given the same epoch serve the same bodies at the same moment as one
   * fleet of that epoch would.
   */
  epochMs?: number;
  /** 0 picks a free port. */
  port?: number;
  /** Render threads; default: available cores − 1, at least 1. */
  threads?: number;
  /** Where file_sd.json goes; none when absent. */
  outDir?: string;
  /** A connection that leaves over 64 KiB of its response unread this long is cut (connection-queue.ts); default 30 s. */
  stallMs?: number;
}

export interface Fleet {
  /** Base URL at the advertised host: what /sd's targets carry. */
  url: string;
  /** The address listened on. */
  host: string;
  /** The host /sd's targets carry. */
  advertise: string;
  port: number;
  /** The profile's exporters (the whole fleet's, every shard's together). */
  exporters: number;
  /** The shard served, or null for every exporter. */
  shard: Shard | null;
  /** The ids this fleet serves, ascending (all of 0..exporters−1 without a shard). */
  ids: readonly number[];
  seriesPerExporter: number;
  threads: number;
  fileSd?: string;
  httpSd: string;
  /** The running counters (what /stats and /metrics report from). */
  stats: FleetCounters;
  /** What GET /stats answers. */
  fleetStats(): FleetStats;
  /** Which exporters misbehave (the profile's `faults`). */
  faults: FaultPlan;
  targetGroups(): TargetGroup[];
  /** Render tasks waiting for a thread right now. */
  queued(): number;
  close(): Promise<void>;
}

/**
 * The most render threads `--threads` takes: each is a V8 isolate of its own (~10 MiB before
 * it renders anything), and threads past the cores only queue; 256 covers any machine's cores.
 */
export const MAX_RENDER_THREADS = 256;

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Bodies kept for reuse per format: enough for the requests in flight at once. */
const MAX_RECYCLED = 256;

const EXPORTER_PATH = /^\/exporters\/(\d{1,9})\/metrics(?:\?.*)?$/;

/** Starts the exporter fleet (or one shard of it): a piscina pool of renderers behind one HTTP front, on loopback unless `host` says otherwise. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const profile = options.profile;
  const host = options.host ?? '127.0.0.1';
  const threads = options.threads ?? defaultThreads();
  const seriesPerExporter = buildModel(profile).lines;
  const workerData: ExporterWorkerData = { profile };
  const pool = new Piscina({
    filename: new URL('../../workers/exporter.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    workerData,
  });
  const startedAtMs = Date.now();
  const epochMs = options.epochMs ?? performance.timeOrigin + performance.now();
  // Render time is seconds since the epoch, on the monotonic clock.
  const origin = epochMs - performance.timeOrigin;
  const shard = options.shard ?? null;
  const stats: FleetCounters = { scrapes: 0, bytes: 0, renderNs: 0, errors: 0, notFound: 0, reused: 0, faults: 0, connectionsCut: 0 };
  // Made once the port is known (its URL is in /stats); no request is handled before that.
  let meter: FleetMeter | undefined;
  const fixed: Format | undefined = profile.format === 'negotiate' ? undefined : profile.format;
  let groups: TargetGroup[] = [];
  /** /sd's body, serialized once (the targets never change while the fleet runs). */
  let sdBody = Buffer.alloc(0);
  const wire = wireProfile(profile);
  const recycled: Record<Format, ArrayBuffer[]> = { text: [], openmetrics: [] };

  const connections = new ConnectionQueues(options.stallMs, () => stats.connectionsCut++);
  const faults = new FaultPlan(profile);
  /** Renders one exporter's body in a worker and sends it (as its fault, if it has one); `done` once the response has ended. */
  const render = (id: number, format: Format, res: ServerResponse, done: () => void, fault?: FaultKind): void => {
    if (res.destroyed) return done();
    const free = recycled[format];
    let buffer = free.pop();
    while (buffer !== undefined && buffer.byteLength === 0) buffer = free.pop(); // detached: never reuse
    if (buffer) stats.reused++;
    const task: RenderTask = { exporter: id, t: (performance.now() - origin) / 1000, format: format === 'text' ? 0 : 1, buffer };
    const rendered = pool.run(task, buffer ? { transferList: [buffer] } : undefined);
    meter?.noteQueue(pool.queueSize);
    rendered.then(
      (r: RenderResult) => {
        stats.renderNs += r.renderNs;
        // Once flushed to the socket the buffer goes back to a worker with a later task:
        // once, and only after a clean flush (never while the socket may still read it). Only
        // then is the scrape counted as served.
        let recycledOnce = false;
        const sent = (err?: Error | null): void => {
          done();
          if (recycledOnce || err) return;
          recycledOnce = true;
          stats.scrapes++;
          stats.bytes += r.body.byteLength;
          if (free.length < MAX_RECYCLED && !res.socket?.destroyed) free.push(r.body.buffer as ArrayBuffer);
        };
        const headers = { 'Content-Type': CONTENT_TYPE[format] };
        if (fault === 'truncated') return sendTruncated(res, r.body, headers, sent);
        if (fault === 'malformed') return sendMalformed(res, r.body, headers, sent);
        if (fault === 'reset') return sendReset(res, r.body, headers, () => done());
        if (fault === 'oversized') return sendOversized(res, r.body, profile.faults.oversized!.bytes, headers, () => done());
        res.writeHead(200, { ...headers, 'Content-Length': r.body.byteLength });
        res.end(r.body, sent);
      },
      (e: Error) => {
        done();
        if (closing) {
          res.destroy(); // tasks cut off by close() are not render errors
          return;
        }
        stats.errors++;
        stats.lastError = e.message;
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`render failed: ${e.message}\n`);
      },
    );
  };

  /** A faulty exporter's scrape (faults.ts): the ones that answer without a body here, the rest through render. */
  const injectFault = (fault: FaultKind, id: number, format: Format, req: IncomingMessage, res: ServerResponse, done: () => void): void => {
    stats.faults++;
    const t = (performance.now() - origin) / 1000;
    switch (fault) {
      case 'timeout': {
        // Never answered: the scraper gives up and closes; a forgotten request is cut after 10 min.
        const cut = setTimeout(() => res.destroy(), 600_000).unref();
        res.once('close', () => {
          clearTimeout(cut);
          done();
        });
        return;
      }
      case 'http5xx': {
        const status = profile.faults.http5xx!.status ?? 503;
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(`promsoak injected fault: HTTP ${status}\n`, () => done());
        return;
      }
      case 'flap':
        if (faults.down(id, t)) {
          req.socket.destroy();
          return done();
        }
        return render(id, format, res, done);
      case 'slow': {
        const timer = setTimeout(() => render(id, format, res, done), faults.delayMs(id, t));
        res.once('close', () => {
          if (!res.writableEnded) {
            clearTimeout(timer);
            done();
          }
        });
        return;
      }
      default:
        return render(id, format, res, done, fault);
    }
  };

  /** Every request waits for its connection's earlier responses (connection-queue.ts): one body at a time per connection, whatever the path. */
  const handle = (req: IncomingMessage, res: ServerResponse): void =>
    connections.run(req.socket, (done) => {
      res.once('close', done);
      route(req, res, done);
    });

  const route = (req: IncomingMessage, res: ServerResponse, done: () => void): void => {
    const url = req.url ?? '/';
    const m = EXPORTER_PATH.exec(url);
    if (m) {
      const id = Number(m[1]);
      if (id >= profile.exporters || !inShard(id, shard)) return notFound(res, url);
      const format = fixed ?? negotiate(req.headers.accept);
      const fault = faults.kind(id);
      if (fault === undefined) render(id, format, res, done);
      else injectFault(fault, id, format, req, res, done);
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (url === '/sd' || url === '/sd/') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': sdBody.byteLength });
      res.end(sdBody);
      return;
    }
    if (url === '/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(meter!.stats()));
      return;
    }
    if (url === '/profile') {
      // The profile served, as its digest hashes it: a coordinator can soak the fleet without its files.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(wire));
      return;
    }
    if (url === '/metrics') return void serveMetrics(res);
    notFound(res, url);
  };
  const where = shard ? `exporters ${describeIds(profile.exporters, shard)} are at /exporters/<id>/metrics (shard ${shard.index}/${shard.count})` : `exporters are at /exporters/0..${profile.exporters - 1}/metrics`;
  const notFound = (res: ServerResponse, url: string): void => {
    stats.notFound++;
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end(`404 not found: ${url} (${where}; also /sd, /stats, /profile, /metrics, /healthz)\n`);
  };
  let registry: Registry | undefined;
  const serveMetrics = async (res: ServerResponse): Promise<void> => {
    registry ??= fleetRegistry(meter!, () => meter!.stats());
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(body);
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`metrics failed: ${(e as Error).message}\n`);
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  try {
    await listen(server, host, options.port ?? 0);
  } catch (e) {
    await pool.destroy();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new PortInUseError(host, options.port ?? 0);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new PromsoakError('PROMSOAK_USAGE', `cannot listen on ${host}: not an address of this machine (${code}); --listen takes one of its addresses, 0.0.0.0 or :: for all`);
    }
    throw e;
  }
  const port = (server.address() as { port: number }).port;
  const advertise = options.advertise ?? advertisedHost(host);
  const ids = shardIds(profile.exporters, shard);
  groups = targetGroups(advertise, port, ids);
  sdBody = Buffer.from(JSON.stringify(groups));
  const fileSd = options.outDir ? writeFileSd(options.outDir, groups) : undefined;
  const url = `http://${hostPort(advertise, port)}`;
  meter = new FleetMeter(
    stats,
    {
      fleet: { startedAtMs, epochMs, url, threads, cores: usableCores() },
      profile: { name: profile.name, digest: wireDigest(wire), exporters: profile.exporters, seriesPerExporter, scrapeIntervalSeconds: profile.scrapeIntervalSeconds },
      shard,
      exporters: ids.length,
    },
    () => pool.queueSize,
  ).start();
  let closed: Promise<void> | undefined;
  let closing = false;
  return {
    url,
    host,
    advertise,
    port,
    exporters: profile.exporters,
    shard,
    ids,
    seriesPerExporter,
    threads,
    fileSd,
    httpSd: `${url}/sd`,
    stats,
    fleetStats: () => meter!.stats(),
    faults,
    targetGroups: () => groups,
    queued: () => pool.queueSize,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        meter!.stop();
        connections.stop();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await pool.destroy();
      })()),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export { exporterPath };
