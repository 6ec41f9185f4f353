/**
 * What the telemetry agent does in the engine for heap diagnostics: heap snapshots (main
 * thread and worker threads) and the sampling allocation profiler. Runs in the engine process.
 */
import { createWriteStream } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pipeline } from 'node:stream/promises';
import { writeHeapSnapshot } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import type { HeapProfile } from '../../protocol/heap-profile.js';

/**
 * Worker threads of the engine (a module ingester may start some): Node emits process
 * 'worker' for every Worker created in this process, so they are tracked from the agent
 * without the ingester's help. v8.writeHeapSnapshot covers only the calling isolate; a
 * worker's heap comes from worker.getHeapSnapshot(), one file per worker.
 */
const workers = new Set<Worker>();
export function trackWorkers(): void {
  process.on('worker', (w: Worker) => {
    workers.add(w);
    w.once('exit', () => workers.delete(w));
  });
}

/**
 * Writes `path` (the main isolate; this thread stops for as long as it takes: seconds for a
 * few hundred MB of heap) and `<path without .heapsnapshot>.worker-<threadId>.heapsnapshot`
 * for each live worker (those stop only themselves). Returns the files written.
 */
export async function writeSnapshots(path: string): Promise<string[]> {
  const files = [writeHeapSnapshot(path)];
  for (const w of [...workers]) {
    const file = path.replace(/\.heapsnapshot$/, '') + `.worker-${w.threadId}.heapsnapshot`;
    try {
      await pipeline(await w.getHeapSnapshot(), createWriteStream(file));
      files.push(file);
    } catch {
      // the worker exited meanwhile
    }
  }
  return files;
}

let session: Session | undefined;
let started = 0;
let interval = 0;

/**
 * Starts V8's sampling heap profiler through an in-process inspector session (no debugger
 * port). Objects collected by minor and major GCs stay in the profile: it counts every
 * allocation sampled, not only what survived — the allocation rate is what makes the GC work.
 * Only this (the main) isolate is sampled: a worker's allocations would need a session in
 * the worker itself.
 */
export async function startAllocSampling(samplingInterval: number): Promise<void> {
  if (session) throw new Error('allocation sampling already started');
  session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  started = Date.now();
  interval = samplingInterval;
}

export async function stopAllocSampling(): Promise<HeapProfile> {
  if (!session) throw new Error('allocation sampling was not started');
  const s = session;
  session = undefined;
  const { profile } = (await s.post('HeapProfiler.stopSampling')) as unknown as { profile: HeapProfile };
  await s.post('HeapProfiler.disable');
  s.disconnect();
  return { ...profile, samplingInterval: interval, startTime: started, durationMs: Date.now() - started };
}
