import { POW10 } from '../parse/num.js';
import { SEQ_KERNEL_WASM } from './seq-kernel.wasm.js';

/**
 * The sequence matcher in WebAssembly (seq-kernel.wat): one instance and one memory per
 * thread, shared by every scrape sequence of that thread (ingest() runs to its end before the
 * next, so they never interleave). A sequence copies its runs and the body in once a scrape
 * (memcpy, about 2 ns/sample for each; engine/ingest/sequence-wasm.ts) and calls match() for
 * as many lines as repeat the last scrape with a plain value.
 *
 * Off when WebAssembly or its SIMD is missing (`--jitless`, `--no-experimental-wasm-simd`) or
 * when PROMSOAK_SEQ_KERNEL=js: then the sequences match in JavaScript, with the same results.
 */
export class SeqKernel {
  readonly memory: WebAssembly.Memory;
  readonly match: (
    tab: number,
    k: number,
    kEnd: number,
    runs: number,
    body: number,
    pos: number,
    end: number,
    maxLine: number,
    outV: number,
    outP: number,
  ) => number;
  u8: Uint8Array;
  i32: Int32Array;
  f64: Float64Array;

  constructor(instance: WebAssembly.Instance) {
    const ex = instance.exports as { memory: WebAssembly.Memory; match: SeqKernel['match'] };
    this.memory = ex.memory;
    this.match = ex.match;
    this.u8 = new Uint8Array(0);
    this.i32 = new Int32Array(0);
    this.f64 = new Float64Array(0);
    this.views();
    this.f64.set(POW10, 0);
  }

  /**
   * Memory of at least `bytes`, or false when it cannot grow that far (past 4 GiB, or out of
   * memory). Views are renewed when it grows (growing detaches them).
   */
  ensure(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      this.memory.grow(Math.ceil((bytes - have) / 65536));
    } catch {
      return false;
    }
    this.views();
    return true;
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
  }
}

/** Where match() leaves its results, as i32 indexes: the end offset, the LFs consumed, the status. */
export const RESULT_END = 192 >> 2;
export const RESULT_LINES = 196 >> 2;
export const RESULT_STATUS = 200 >> 2;
/** The first byte free for the caller's data. */
export const DATA_START = 256;

let kernel: SeqKernel | null | undefined;
let enabled = process.env['PROMSOAK_SEQ_KERNEL'] !== 'js';

/** Turns the kernel on or off for scrape sequences created from now on (tests and benchmarks compare both ways). */
export function useSeqKernel(on: boolean): void {
  enabled = on;
}

/** This thread's kernel, or null when it is off or cannot run here. */
export function seqKernel(): SeqKernel | null {
  if (!enabled) return null;
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    const bytes = Buffer.from(SEQ_KERNEL_WASM, 'base64');
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
    kernel = new SeqKernel(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}));
  } catch {
    kernel = null;
  }
  return kernel;
}
