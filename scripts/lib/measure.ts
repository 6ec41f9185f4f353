/**
 * Time and heap allocation of a repeated operation, for benchmarks (never for tests).
 *
 * Node 20 has no allocated-bytes counter, so allocation is read as the growth of
 * heapUsed across a batch; a batch during which a GC ran (heapUsed fell) is left out of
 * the allocation figure (its time still counts). Timing runs under V8's default flags, as
 * users run; batches are kept small against the young generation so most see no GC.
 */
export interface Measurement {
  ops: number;
  ns: number;
  nsPerOp: number;
  /** Heap bytes allocated per op, over GC-free batches; NaN when every batch saw a GC. */
  bytesPerOp: number;
  batches: number;
  cleanBatches: number;
}

const heapUsed = (): number => process.memoryUsage().heapUsed;

/** `batch()` does some work and returns how many ops it did. */
export function measureSync(batch: () => number, seconds = 2, warmupSeconds = 0.5): Measurement {
  run(batch, warmupSeconds);
  return run(batch, seconds);
}

export async function measureAsync(batch: () => Promise<number>, seconds = 2, warmupSeconds = 0.5): Promise<Measurement> {
  await runAsync(batch, warmupSeconds);
  return runAsync(batch, seconds);
}

function run(batch: () => number, seconds: number): Measurement {
  const acc = new Acc();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const h0 = heapUsed();
    const t0 = process.hrtime.bigint();
    const ops = batch();
    const t1 = process.hrtime.bigint();
    acc.add(ops, Number(t1 - t0), h0, heapUsed());
  }
  return acc.result();
}

async function runAsync(batch: () => Promise<number>, seconds: number): Promise<Measurement> {
  const acc = new Acc();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const h0 = heapUsed();
    const t0 = process.hrtime.bigint();
    const ops = await batch();
    const t1 = process.hrtime.bigint();
    acc.add(ops, Number(t1 - t0), h0, heapUsed());
  }
  return acc.result();
}

/** heapUsed's own cost (it allocates its result object), subtracted from every batch. */
const probeCost = (() => {
  let min = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = heapUsed();
    const b = heapUsed();
    if (b >= a) min = Math.min(min, b - a);
  }
  return Number.isFinite(min) ? min : 0;
})();

class Acc {
  ops = 0;
  ns = 0;
  cleanOps = 0;
  cleanBytes = 0;
  batches = 0;
  cleanBatches = 0;
  add(ops: number, ns: number, h0: number, h1: number): void {
    this.ops += ops;
    this.ns += ns;
    this.batches++;
    if (h1 >= h0) {
      this.cleanOps += ops;
      this.cleanBytes += Math.max(0, h1 - h0 - probeCost);
      this.cleanBatches++;
    }
  }
  result(): Measurement {
    return {
      ops: this.ops,
      ns: this.ns,
      nsPerOp: this.ns / this.ops,
      bytesPerOp: this.cleanOps > 0 ? this.cleanBytes / this.cleanOps : NaN,
      batches: this.batches,
      cleanBatches: this.cleanBatches,
    };
  }
}
