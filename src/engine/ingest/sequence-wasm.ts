import { DATA_START, RESULT_END, RESULT_LINES, RESULT_STATUS, type SeqKernel } from '../wasm/seq-kernel.js';
import { Run, RunsStop, type SeqMatch } from './sequence-layout.js';

/**
 * One scrape sequence's use of the WebAssembly matcher (wasm/seq-kernel.ts, one per thread,
 * shared by every sequence: ingest() runs to its end before the next, so they never
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
  private tabView: Int32Array = new Int32Array(0);
  private bytesView: Uint8Array = new Uint8Array(0);

  constructor(private readonly K: SeqKernel) {}

  /**
   * Copies runs [0, n) of `tab` (their bytes in `bytes`) and the body into the kernel's memory
   * and points out.values at the values match() writes; false when the memory cannot grow to
   * hold them (this scrape then matches in JavaScript). Until the next load(), of any
   * sequence, the kernel holds this one's data.
   */
  load(tab: Int32Array, n: number, bytes: Uint8Array, body: Uint8Array, out: SeqMatch): boolean {
    const K = this.K;
    const at = DATA_START;
    const runs = align16(at + n * Run.Size * 4);
    const runsLen = tab[(n - 1) * Run.Size + Run.KeyEnd]!;
    const bodyAt = align16(runs + runsLen);
    const outV = align16(bodyAt + body.length);
    const outP = outV + n * 8;
    if (!K.ensure(outP + n * 4)) return false;
    // The views are kept while the tables are: a scrape that left the sequence as it was allocates nothing.
    let tv = this.tabView;
    if (tv.buffer !== tab.buffer || tv.length !== n * Run.Size) tv = this.tabView = tab.subarray(0, n * Run.Size);
    let bv = this.bytesView;
    if (bv.buffer !== bytes.buffer || bv.length !== runsLen) bv = this.bytesView = bytes.subarray(0, runsLen);
    K.i32.set(tv, at >> 2);
    K.u8.set(bv, runs);
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

function align16(n: number): number {
  return (n + 15) & ~15;
}
