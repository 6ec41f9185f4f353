import { DATA_START, RESULT_END, RESULT_LINES, RESULT_STATUS, type SeqKernel } from '../wasm/seq-kernel.js';
import { Run, RunsStop, type SeqMatch } from './sequence-layout.js';

/**
 * The scrape sequences' use of the WebAssembly matcher (wasm/seq-kernel.ts, one per thread,
 * shared by every sequence, as this is: ingest() runs to its end before the next, so they never
 * interleave). Once a scrape, load() copies the sequence's runs and the body into the kernel's
 * memory; then each match() takes as many lines as repeat the last scrape with a plain value,
 * 16 bytes a step. The memory from DATA_START, each part 16-aligned: the run table, the runs'
 * bytes, the body, the values (f64) and the runs' body offsets (i32) out.
 */
export class WasmRuns {
  private tab = 0;
  private runs = 0;
  private body = 0;
  /** Where match() writes, as f64 and i32 indexes. */
  private outV = 0;
  private outP = 0;

  constructor(readonly K: SeqKernel) {}

  /**
   * Copies a sequence's runs (`tab`: its n records, exactly; `bytes`: their bytes, exactly)
   * and the body into the kernel's memory and points out.values at the values match() writes;
   * false when the memory cannot grow to hold them (this scrape then matches in JavaScript).
   * Until the next load(), of any sequence, the kernel holds this one's data.
   */
  load(tab: Int32Array, bytes: Uint8Array, body: Uint8Array, out: SeqMatch): boolean {
    const K = this.K;
    const n = tab.length / Run.Size;
    const at = DATA_START;
    const runs = align16(at + tab.length * 4);
    const bodyAt = align16(runs + bytes.length);
    const outV = align16(bodyAt + body.length);
    const outP = outV + n * 8;
    if (!K.ensure(outP + n * 4)) return false;
    K.i32.set(tab, at >> 2);
    K.u8.set(bytes, runs);
    K.u8.set(body, bodyAt);
    this.tab = at;
    this.runs = runs;
    this.body = bodyAt;
    this.outV = outV >> 3;
    this.outP = outP >> 2;
    out.values = K.f64;
    out.valuesAt = this.outV;
    return true;
  }

  /**
   * From run k at body offset pos, how many runs before kEnd in a row the body repeats, each
   * followed by one space, a plain decimal (plainValueLine's grammar) and LF, the line within
   * maxLine bytes; out.runsEnd, runsLines and stop say where and why it stopped. Call load()
   * first in each scrape. With the end-of-sequence check here, ScrapeSequence.matchRuns() is
   * one call. MUST stay allocation-free: a call covers many samples.
   */
  match(k: number, kEnd: number, pos: number, end: number, maxLine: number, out: SeqMatch): number {
    if (k >= kEnd) {
      out.runsEnd = pos;
      out.runsLines = 0;
      out.stop = RunsStop.Mismatch;
      return 0;
    }
    const K = this.K;
    const n = K.match(this.tab, k, kEnd, this.runs, this.body, pos, end, maxLine, this.outV << 3, this.outP << 2);
    const res = K.i32;
    out.runsEnd = res[RESULT_END]!;
    out.runsLines = res[RESULT_LINES]!;
    out.stop = res[RESULT_STATUS]!;
    return n;
  }

  /** The body offset where line i of the last match() starts. */
  lineAt(i: number): number {
    return this.K.i32[this.outP + i]!;
  }
}

let shared: WasmRuns | null = null;

/** The WasmRuns of kernel K (null: the kernel is off): one for every sequence of the thread. */
export function wasmRuns(K: SeqKernel | null): WasmRuns | null {
  if (K === null) return null;
  if (shared === null || shared.K !== K) shared = new WasmRuns(K);
  return shared;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}
