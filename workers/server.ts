import { threadId, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ExporterService } from '../src/fleet/exporter-service.js';
import { serve } from '../src/fleet/http-server.js';
import { C, SlotCounters } from '../src/fleet/thread-counters.js';
import { readThreadStat } from '../src/telemetry/thread-stat.js';
import type { PushOffer, PushStart, ServeReply, ServerWorkerData, ServeTask } from '../src/fleet/serve-task.js';
import { buildModel } from '../src/fleet/render/model.js';
import { Pusher } from '../src/push/pusher.js';
import { pushSlot } from '../src/push/push-counters.js';

/**
 * A serving thread of the fleet (one piscina task for its whole life): its own listening
 * port, the exporters it is asked for rendered here, where they are served (no hop between
 * threads per scrape). It keeps its counts, CPU and event-loop use in its slot of the shared
 * counters, and stops when the main thread says so.
 */
const data = workerData as ServerWorkerData;

/**
 * Resolves with the error reply when the thread cannot listen (the task's result arrives
 * before or after the port's message: the main thread takes whichever comes first), else
 * with nothing once stopped.
 */
export default async function serveTask(task: ServeTask): Promise<ServeReply | undefined> {
  const counts = new SlotCounters(task.counters, task.slot).f;
  const reply = (m: ServeReply): void => task.control.postMessage(m);
  const service = new ExporterService({
    profile: data.profile,
    shard: task.shard,
    epochMs: task.epochMs,
    counts,
    where: task.where,
    onError: (message) => reply({ type: 'renderError', message }),
    control: (path, conn) => {
      if (path !== '/healthz') return undefined;
      conn.respond(200, 'text/plain', 'ok\n');
      return true;
    },
  });
  let server;
  try {
    server = await serve({ host: task.host, port: task.port, service, counts, limits: task.limits, maxConnections: task.maxConnections });
  } catch (e) {
    const error: ServeReply = { type: 'error', code: (e as NodeJS.ErrnoException).code, message: (e as Error).message };
    reply(error);
    task.control.close();
    return error;
  }
  counts[C.Port] = server.port;
  counts[C.ThreadId] = threadId;
  const sample = (): void => {
    const cpu = readThreadStat();
    if (cpu) {
      counts[C.Tid] = cpu.tid;
      counts[C.CpuSeconds] = cpu.cpuSeconds;
    }
    const elu = performance.eventLoopUtilization();
    counts[C.EluActiveMs] = elu.active;
    counts[C.EluIdleMs] = elu.idle;
  };
  sample();
  const timer = setInterval(sample, 1000);
  reply({ type: 'ready', port: server.port });
  let pusher: Pusher | undefined;
  let drainMs = 0;
  const startPush = (p: PushStart): void => {
    if (pusher) return;
    drainMs = p.options.drainMs;
    pusher = new Pusher({
      model: buildModel(data.profile),
      ids: p.ids,
      push: p.options,
      senders: p.senders,
      maxBacklog: p.maxBacklog,
      intervalSeconds: data.profile.scrapeIntervalSeconds,
      epochMs: task.epochMs,
      counts: pushSlot(p.counters, p.slot),
      say: (message, key) => reply({ type: 'pushNote', message, key }),
    });
    if (p.exporters !== undefined) pusher.offer(p.exporters);
    pusher.start();
  };
  await new Promise<void>((resolve) => {
    task.control.on('message', (m: 'stop' | 'stopPush' | PushStart | PushOffer) => {
      if (m === 'stop') resolve();
      else if (m === 'stopPush') void pusher?.stop(drainMs).then(() => reply({ type: 'pushStopped' }));
      else if (m.type === 'push') startPush(m);
      else if (m.type === 'push-offer') {
        pusher?.offer(m.exporters);
        reply({ type: 'pushOffered', exporters: m.exporters });
      }
    });
    task.control.on('close', () => resolve());
  });
  clearInterval(timer);
  // Sends what is batched and waits for the answers (up to the drain's time) before closing.
  await pusher?.stop(drainMs);
  await server.close();
  task.control.close();
  return undefined;
}
