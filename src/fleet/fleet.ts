import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { PortInUseError, PromsoakError } from '../common/errors.js';
import type { ResolvedProfile } from '../profile/load.js';
import { buildModel } from './render/model.js';
import { targetGroupsOn, writeFileSd, exporterPath, hostPort, advertisedHost, type TargetGroup } from './sd.js';
import { FaultPlan } from './faults.js';
import { inShard, shardIds, describeIds, type Shard } from './shard.js';
import { FleetMeter, type FleetCounters } from './meter.js';
import { fleetRegistry } from './metrics.js';
import { usableCores } from './cores.js';
import { wireDigest, wireProfile } from '../profile/digest.js';
import type { FleetStats } from '../protocol/fleet-stats.js';
import type { Registry } from 'prom-client';
import type { PushOffer, PushStart, ServerWorkerData, ServeReply, ServeTask } from './serve-task.js';
import { C, SlotCounters, sharedCounters, total } from './thread-counters.js';
import { ExporterService } from './exporter-service.js';
import { serve, MAX_CONNECTIONS_PER_THREAD, type LeanServer } from './http-server.js';
import { controlRoutes } from './control-routes.js';
import { ThreadMeter } from './thread-meter.js';
import type { PushOptions } from '../push/push-options.js';
import { pushCounters } from '../push/push-counters.js';
import { PushMeter } from '../push/push-meter.js';

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
  /** The main port (control paths, and every exporter for a person with curl); 0 picks a free one. Serving thread k listens on port + 1 + k (any free one with 0). */
  port?: number;
  /** Serving threads; default: the usable cores. */
  threads?: number;
  /** Where file_sd.json goes; none when absent. */
  outDir?: string;
  /** A connection that leaves over 64 KiB of its response unread this long is cut (http-connection.ts); default 30 s. */
  stallMs?: number;
  /** Push the exporters' samples by remote write as well (`--push`): each serving thread pushes the exporters it serves. */
  push?: PushOptions;
}

export interface Fleet {
  /** Base URL of the main port at the advertised host: the control paths (/sd, /stats, /metrics, /profile). */
  url: string;
  /** The address listened on. */
  host: string;
  /** The host /sd's targets carry. */
  advertise: string;
  /** The main port. */
  port: number;
  /** The serving threads' ports, one each: the targets in /sd and file_sd are spread over them. */
  ports: readonly number[];
  /** The profile's exporters (the whole fleet's, every shard's together). */
  exporters: number;
  /** The shard served, or null for every exporter. */
  shard: Shard | null;
  /** The ids this fleet serves, ascending (all of 0..exporters−1 without a shard). */
  ids: readonly number[];
  seriesPerExporter: number;
  /** Serving threads. */
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
  /** /sd serves these groups from now on (a capacity ramp offers a prefix of targetGroups()); file_sd is the caller's to rewrite. */
  serveTargets(groups: readonly TargetGroup[]): void;
  /** Serving threads saturated in the last whole second (event loop or CPU ≥ 95 % busy). */
  queued(): number;
  /** A pushing fleet's counters; null when it is only scraped. */
  readonly push: PushMeter | null;
  /** Starts pushing (once; `FleetOptions.push` does it at start). */
  startPush(push: PushOptions): PushMeter;
  /**
   * Push only the exporters with id < n from now on (capacity's dial; before startPush, from
   * its start): resolves once every serving thread has taken it (or after 5 s for one that died).
   */
  offerPush(n: number): Promise<void>;
  /** Stops generating, sends what is batched, waits for the answers up to the drain time; the rest is counted as dropped at stop. */
  stopPush(): Promise<void>;
  /**
   * Closes the fleet; a pushing one first sends what is batched and waits up to its drain
   * time for the answers, then counts what is left as dropped at stop.
   */
  close(): Promise<void>;
}

/**
 * The most serving threads `--threads` takes: each is a V8 isolate of its own (~10 MiB before
 * it serves anything); `promsoak fleet` refuses more than the cores it may use.
 */
export const MAX_SERVING_THREADS = 256;

/** Serving threads by default: one per core the process may use. */
export function defaultThreads(): number {
  return Math.max(1, Math.floor(usableCores()) || availableParallelism());
}

/**
 * Starts the exporter fleet (or one shard of it) on loopback unless `host` says otherwise:
 * `threads` serving threads (piscina workers), each with its own port, rendering the
 * exporters it is scraped for where it serves them; /sd and file_sd spread the targets over
 * their ports. The main port answers the control paths (and any exporter, for curl).
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const profile = options.profile;
  const host = options.host ?? '127.0.0.1';
  const threads = options.threads ?? defaultThreads();
  const seriesPerExporter = buildModel(profile).lines;
  const startedAtMs = Date.now();
  const epochMs = options.epochMs ?? performance.timeOrigin + performance.now();
  const shard = options.shard ?? null;
  const shared = sharedCounters(threads + 1);
  const mainCounts = new SlotCounters(shared, 0).f;
  let lastError: string | undefined;
  const stats = countersView(shared, () => lastError);
  // Made once the port is known (its URL is in /stats); no request is handled before that.
  let meter: FleetMeter | undefined;
  let groups: TargetGroup[] = [];
  /** /sd's body, serialized once (and again only when serveTargets changes the list). */
  let sdBody = Buffer.alloc(0);
  const wire = wireProfile(profile);
  const faults = new FaultPlan(profile);
  const where = shard ? `exporters ${describeIds(profile.exporters, shard)} are at /exporters/<id>/metrics (shard ${shard.index}/${shard.count})` : `exporters are at /exporters/0..${profile.exporters - 1}/metrics`;
  let registry: Registry | undefined;
  // Assigned below once the push meter exists; the control routes answer 503 until then.
  let pushMeterRef: PushMeter | null = null;
  const fleetStats = (): FleetStats => (pushMeterRef ? { ...meter!.stats(), push: pushMeterRef.stats() } : meter!.stats());
  const limits = options.stallMs !== undefined ? { stallMs: options.stallMs } : {};
  const service = new ExporterService({
    profile,
    shard,
    epochMs,
    counts: mainCounts,
    where: `${where}; also /sd, /stats, /profile, /metrics, /healthz`,
    onError: (message) => (lastError = message),
    control: controlRoutes({
      ready: () => meter !== undefined,
      sdBody: () => sdBody,
      stats: () => fleetStats(),
      profile: () => wire,
      registry: () => (registry ??= fleetRegistry(meter!, () => fleetStats())),
    }),
  });
  const workerData: ServerWorkerData = { profile };
  const pool = new Piscina({
    filename: new URL('../../workers/server.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    atomics: 'disabled',
    workerData,
  });
  const ids = shardIds(profile.exporters, shard);
  const pushStopped: (() => void)[] = [];
  /** Per serving thread, the acknowledgements of push offers it still owes, in order. */
  const pushOffered: (() => void)[][] = [];
  /** The exporters pushed (capacity's dial); undefined: all. */
  let pushOffer: number | undefined;
  const controls: MessagePort[] = [];
  const running: Promise<void>[] = [];
  let main: LeanServer | undefined;
  const fail = async (e: unknown, port: number): Promise<never> => {
    for (const c of controls) c.postMessage('stop');
    await Promise.allSettled(running);
    await main?.close();
    await pool.destroy();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new PortInUseError(host, port);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new PromsoakError('PROMSOAK_USAGE', `cannot listen on ${host}: not an address of this machine (${code}); --listen takes one of its addresses, 0.0.0.0 or :: for all`);
    }
    throw e;
  };
  const base = options.port ?? 0;
  try {
    main = await serve({ host, port: base, service, counts: mainCounts, limits, maxConnections: MAX_CONNECTIONS_PER_THREAD });
  } catch (e) {
    return fail(e, base);
  }
  mainCounts[C.Port] = main.port;
  const mainUrl = `http://${hostPort(options.advertise ?? advertisedHost(host), main.port)}`;
  const ports: number[] = [];
  for (let k = 0; k < threads; k++) {
    const want = base === 0 ? 0 : base + 1 + k;
    const { port1, port2 } = new MessageChannel();
    controls.push(port1);
    const task: ServeTask = {
      slot: k + 1,
      counters: shared,
      host,
      port: want,
      shard,
      epochMs,
      where: `${where}; the control paths are at ${mainUrl}`,
      limits,
      maxConnections: MAX_CONNECTIONS_PER_THREAD,
      control: port2,
    };
    const reply = new Promise<ServeReply>((resolve) => port1.once('message', resolve));
    const run = pool.run(task, { transferList: [port2] }) as Promise<ServeReply | undefined>;
    running.push(run.then(() => {}, () => {}));
    // A thread that cannot listen says why in its task's result too: that may come before its message.
    const ended = run.then(
      (r): ServeReply => r ?? { type: 'error', message: 'the serving thread ended before it was ready' },
      (e: Error): ServeReply => ({ type: 'error', message: `the serving thread failed before it was ready: ${e.message}` }),
    );
    const r = await Promise.race([reply, ended]);
    if (r.type !== 'ready') {
      const err = Object.assign(new Error(r.type === 'error' ? r.message : 'serving thread failed'), { code: r.type === 'error' ? r.code : undefined });
      return fail(err, want);
    }
    ports.push(r.port);
    const acks: (() => void)[] = [];
    pushOffered.push(acks);
    port1.on('message', (m: ServeReply) => {
      if (m.type === 'renderError') lastError = m.message;
      else if (m.type === 'pushOffered') acks.shift()?.();
      else if (m.type === 'pushNote') pushMeterRef?.note(m.message, m.key);
      else if (m.type === 'pushStopped') pushStopped.shift()?.();
    });
  }
  const port = main.port;
  const advertise = options.advertise ?? advertisedHost(host);
  groups = targetGroupsOn(advertise, ports, ids);
  sdBody = Buffer.from(JSON.stringify(groups));
  const fileSd = options.outDir ? writeFileSd(options.outDir, groups) : undefined;
  const url = `http://${hostPort(advertise, port)}`;
  const threadMeter = new ThreadMeter(shared, threads, pool);
  meter = new FleetMeter(
    stats,
    {
      fleet: { startedAtMs, epochMs, url, threads, cores: usableCores() },
      profile: { name: profile.name, digest: wireDigest(wire), exporters: profile.exporters, seriesPerExporter, scrapeIntervalSeconds: profile.scrapeIntervalSeconds },
      shard,
      exporters: ids.length,
    },
    () => threadMeter.saturated(),
    threadMeter,
  ).start();
  let pushTimer: NodeJS.Timeout | undefined;
  /** Each serving thread pushes the exporters whose targets it serves (targetGroupsOn: the i-th id on port i mod threads). */
  const startPush = (push: PushOptions): PushMeter => {
    if (pushMeterRef) return pushMeterRef;
    const shared = pushCounters(threads);
    // Every thread with exporters has at least one sender: --senders below the threads gives one each.
    const sendersOf = (k: number): number => Math.max(1, Math.floor(push.senders / threads) + (k < push.senders % threads ? 1 : 0));
    let total = 0;
    for (let k = 0; k < threads; k++) total += sendersOf(k);
    const pm = new PushMeter(shared, push, total);
    pushMeterRef = pm;
    controls.forEach((c, k) => {
      const start: PushStart = {
        type: 'push',
        options: push,
        ids: ids.filter((_, j) => j % threads === k),
        senders: sendersOf(k),
        maxBacklog: Math.ceil((push.maxBacklog * sendersOf(k)) / total),
        counters: shared,
        slot: k,
        ...(pushOffer !== undefined ? { exporters: pushOffer } : {}),
      };
      c.postMessage(start);
    });
    pushTimer = setInterval(() => pm.tick(), 1000).unref();
    return pm;
  };
  const offerPush = (n: number): Promise<void> => {
    pushOffer = n;
    if (!pushMeterRef) return Promise.resolve();
    const offer: PushOffer = { type: 'push-offer', exporters: n };
    return Promise.race([
      Promise.all(controls.map((c, k) => new Promise<void>((resolve) => (pushOffered[k]!.push(resolve), c.postMessage(offer))))),
      // A thread that died never answers: the step still goes on (its share is gone anyway).
      new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
    ]).then(() => undefined);
  };
  /** Stops generating, sends what is batched and waits for the answers (each thread up to the drain time). */
  let pushStopping: Promise<void> | undefined;
  const stopPush = (): Promise<void> =>
    (pushStopping ??= pushMeterRef
      ? Promise.race([
          Promise.all(controls.map((c) => new Promise<void>((resolve) => (pushStopped.push(resolve), c.postMessage('stopPush'))))),
          // A thread that died never answers: the fleet still closes.
          new Promise<void>((resolve) => setTimeout(resolve, pushMeterRef!.drainMs + 5000).unref()),
        ]).then(() => {
          clearInterval(pushTimer);
          pushMeterRef!.tick();
        })
      : Promise.resolve());
  if (options.push) startPush(options.push);
  let closed: Promise<void> | undefined;
  return {
    url,
    host,
    advertise,
    port,
    ports,
    exporters: profile.exporters,
    shard,
    ids,
    seriesPerExporter,
    threads,
    fileSd,
    httpSd: `${url}/sd`,
    stats,
    fleetStats,
    faults,
    targetGroups: () => groups,
    serveTargets: (g) => {
      sdBody = Buffer.from(JSON.stringify(g));
    },
    queued: () => threadMeter.saturated(),
    get push() {
      return pushMeterRef;
    },
    startPush,
    offerPush,
    stopPush,
    close: () =>
      (closed ??= (async () => {
        await stopPush();
        meter!.stop();
        for (const c of controls) c.postMessage('stop');
        await main!.close();
        await Promise.allSettled(running);
        await pool.destroy();
      })()),
  };
}

/** Which shared count each of the fleet's counters sums (thread-counters.ts). */
const COUNTERS: [Exclude<keyof FleetCounters, 'lastError'>, C][] = [
  ['scrapes', C.Scrapes],
  ['bytes', C.Bytes],
  ['renderNs', C.RenderNs],
  ['errors', C.Errors],
  ['notFound', C.NotFound],
  ['reused', C.Reused],
  ['faults', C.Faults],
  ['connectionsCut', C.Cut],
];

/** The fleet's counts as one object: each a sum over the serving threads' slots, read when asked. */
function countersView(shared: SharedArrayBuffer, lastError: () => string | undefined): FleetCounters {
  const view = {} as FleetCounters;
  for (const [name, c] of COUNTERS) Object.defineProperty(view, name, { get: () => total(shared, c), enumerable: true });
  Object.defineProperty(view, 'lastError', { get: lastError, enumerable: true });
  return view;
}

export { exporterPath, inShard };
