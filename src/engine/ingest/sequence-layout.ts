import { grow } from './typed-arrays.js';

/**
 * The shapes of the scrape sequence (sequence.ts): a run's record and a list of them, the
 * formats whose runs it keeps apart, why the WebAssembly matcher stopped, and the one result
 * object its matchers fill.
 */

/**
 * A run's record: Run.Size int32s, run k at k * Run.Size. Offsets are into the runs' bytes (the
 * sequence) or into the body (this scrape's records, until commit). seq-kernel.wat reads rows
 * of this layout (32 bytes: Start, Key, KeyEnd, Lines).
 */
export const enum Run {
  /** Where the run starts (after the previous sample line). */
  Start = 0,
  /** The series (key) start, after blank/comment lines and leading blanks. */
  Key = 1,
  NameEnd = 2,
  /** The series end: the run ends here. */
  KeyEnd = 3,
  /** LFs in [start, key): the blank and comment lines skipped. */
  Lines = 4,
  /** The scrape cache entry of its series. */
  Entry = 5,
  /** 1: compare this run byte by byte (see matchNext): shorter than 8 bytes, or a ±0 or NaN word. */
  Slow = 6,
  Size = 8,
}

/** Run records in order, growable: a scrape's runs as it records them, before commit. */
export class RunList {
  runs = new Int32Array(0);
  length = 0;

  push(start: number, key: number, nameEnd: number, keyEnd: number, lines: number, entry: number): void {
    let r = this.length * Run.Size;
    if (r + Run.Size > this.runs.length) this.runs = grow(this.runs, new Int32Array(Math.max(64 * Run.Size, this.runs.length * 2)));
    const runs = this.runs;
    runs[r++] = start;
    runs[r++] = key;
    runs[r++] = nameEnd;
    runs[r++] = keyEnd;
    runs[r++] = lines;
    runs[r] = entry;
    this.length++;
  }
}

/**
 * The parser whose grammar accepted a sequence's runs: a sequence hit skips the parse of the
 * series, so runs recorded under another format are no hits.
 */
export const enum SeqFormat {
  None = 0,
  Text = 1,
  OpenMetrics = 2,
}

/** Why matchRuns() stopped (the status seq-kernel.wat writes). */
export const enum RunsStop {
  /** At a run the body does not repeat, at the end of the sequence, or of the body. */
  Mismatch = 0,
  /** At a run whose series the body repeats but whose rest of line is not plain: the caller parses that line's tail (matchAt). */
  SeriesMatched = 1,
}

/**
 * What the last matchRuns(), matchNext() or matchAt() found. One object per sequence, made
 * with it and overwritten by the next call: the hot loop reads fields, nothing is returned in
 * an object. Every field is set in the constructor so that its shape never changes.
 */
export class SeqMatch {
  /** matchRuns(): the body offset after its last line, the LFs it consumed, why it stopped. */
  runsEnd = 0;
  runsLines = 0;
  stop: RunsStop = RunsStop.Mismatch;
  /** matchRuns()'s line i has value values[valuesAt + i] (the kernel's memory, so renewed when that grows). */
  values: Float64Array = new Float64Array(0);
  valuesAt = 0;
  /** matchNext(), matchAt(): the series [keyStart, keyEnd) with its name ending at nameEnd, and the LFs before it in its run. */
  keyStart = 0;
  nameEnd = 0;
  keyEnd = 0;
  lines = 0;
}

/**
 * What a sequence uses only within a scrape: its matchers' result and the runs it records
 * before commit. One for every sequence of an ingester (ingest() runs to its end before the
 * next), so that a target's sequence keeps no such objects of its own on the heap.
 */
export class SeqScratch {
  readonly result = new SeqMatch();
  readonly pend = new RunList();
}
