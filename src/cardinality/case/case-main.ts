/**
 * Child entry of one cardinality case: `node --expose-gc case-main.js '<CaseSpec JSON>'`,
 * forked by run.ts with an IPC channel. It builds one vector and sends back one
 * `{ type: 'result', result: CaseMeasurement }` or `{ type: 'error', message }`.
 *
 * A fresh process per case: nothing of an earlier case (its garbage, its grown heap spaces,
 * its interned strings) can be counted in this one.
 */
import { writeHeapSnapshot } from 'node:v8';
import { buildEngine, loadEngine, renderBody } from './engine-subject.js';
import { buildPromClient, type Built } from './prom-client-subject.js';
import type { CaseMeasurement, CaseMessage, CaseSpec } from '../../protocol/cardinality-case.js';

interface Mem {
  heap: number;
  arrayBuffers: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Full GCs, then the least heap seen over several more. Why the minimum: every ~20 full GCs
 * V8 shows a transient +230 kB that the next GC takes back (seen on Node 20 even in an idle
 * process), and one such reading would be counted as retained.
 */
async function settle(): Promise<Mem> {
  if (!gc) throw new Error('case-main needs --expose-gc');
  gc();
  gc();
  let best: Mem = { heap: Infinity, arrayBuffers: Infinity };
  for (let i = 0; i < 6; i++) {
    // A turn of the event loop between GCs: V8 frees dead ArrayBuffers' backing stores
    // (the engine head's typed arrays) in a sweeper task, after the GC that found them dead.
    await new Promise((r) => setImmediate(r));
    gc();
    const m = process.memoryUsage();
    if (m.heapUsed < best.heap) best = { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
  }
  return best;
}

async function runCase(spec: CaseSpec): Promise<CaseMeasurement> {
  let build: (n: number, obs: number) => Built;
  if (spec.subject === 'engine') {
    const engine = await loadEngine();
    const body = renderBody(spec.type, spec.labelSets);
    const small = renderBody(spec.type, 64);
    // The body lives (off-heap) through baseline and measurement alike, so it cancels out.
    build = (n, obs) => buildEngine(engine, spec.type, n === spec.labelSets ? body : small, n, obs, spec.headWindow);
  } else {
    build = (n, obs) => buildPromClient(spec.type, n, obs);
  }
  // Warm-up on a throwaway vector: the code the build runs is compiled (and its feedback
  // vectors allocated) before the baseline, so it is not counted per label set.
  for (let k = 0; k < 3; k++) build(64, Math.min(spec.observations, 32)).labelSets();

  const before = await settle();
  const t0 = performance.now();
  const built = build(spec.labelSets, spec.observations);
  const buildMs = performance.now() - t0;
  const after = await settle();
  // Uses `built` after measuring: it is reachable through the measurement (MUST stay so).
  const held = built.labelSets();
  if (held !== spec.labelSets) throw new Error(`${spec.subject} ${spec.type} holds ${held} label sets, expected ${spec.labelSets}`);
  const heapBytes = after.heap - before.heap;
  const arrayBufferBytes = after.arrayBuffers - before.arrayBuffers;
  const m: CaseMeasurement = {
    bytes: heapBytes + arrayBufferBytes,
    heapBytes,
    arrayBufferBytes,
    seriesPerLabelSet: built.seriesPerLabelSet,
    buildMs,
  };
  if (built.estimateBytes) m.estimateBytes = built.estimateBytes();
  if (spec.heapSnapshot) m.heapSnapshot = writeHeapSnapshot(spec.heapSnapshot);
  if (built.labelSets() !== held) throw new Error('unreachable');
  return m;
}

const send = (msg: CaseMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(JSON.stringify(msg) + '\n');
      resolve();
    } else process.send(msg, () => resolve());
  });

try {
  const spec = JSON.parse(process.argv[2] ?? '') as CaseSpec;
  await send({ type: 'result', result: await runCase(spec) });
} catch (e) {
  await send({ type: 'error', message: (e as Error)?.message ?? String(e) });
  process.exitCode = 1;
}
process.disconnect?.();
