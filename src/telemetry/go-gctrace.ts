import { StringDecoder } from 'node:string_decoder';

/**
 * Go's `GODEBUG=gctrace=1`: the runtime writes one line per GC cycle to stderr, among the
 * program's own log lines. Format of go1.19 (what built Debian's prometheus 2.42 and
 * victoria-metrics 1.79 here; `go version -m /usr/bin/prometheus`), printed at the end of
 * gcMarkTermination in src/runtime/mgc.go, unchanged in later Go versions:
 *
 *   gc 4 @5.508s 0%: 0.053+4.3+0.003 ms clock, 0.10+0/0.61/6.2+0.006 ms cpu, 10->11->8 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 2 P
 *
 * - `gc 4`: memstats.numgc, the cycle's number from 1.
 * - `@5.508s`: when the cycle began (sweep termination), seconds since the runtime started.
 * - `0%`: int(gc_cpu_fraction × 100), truncated: the GC's share of all CPU time available
 *   (GOMAXPROCS × wall time) since the program started; idle-time marking is left out.
 * - `ms clock`: wall time of the three phases: stop-the-world sweep termination, concurrent
 *   mark, stop-the-world mark termination.
 * - `ms cpu`: sweepTerm + assist/background/idle + markTerm. The two stop-the-world terms are
 *   not measured: Go prints the phase's wall time × the Ps stopped. Assist is mark work done by
 *   allocating goroutines (the mutator paying for its allocation), background the dedicated
 *   and fractional mark workers, idle the marking done on otherwise idle Ps.
 * - Times: ≥ 10 ms as whole milliseconds, below as two significant digits (at most three decimals).
 * - `10->11->8 MB`: heap in use at the cycle's start, at its end (mark termination), and the
 *   heap marked live; `11 MB goal` the heap size this cycle aimed to end below. Go shifts
 *   bytes right by 20: MB means MiB, truncated, so each *Bytes field here is a lower bound
 *   within 1 MiB (a small heap reads 0).
 * - `0 MB stacks, 0 MB globals` (Go ≥ 1.18): scannable stack and global sizes, also MiB.
 * - `2 P`: GOMAXPROCS during the cycle.
 * - ` (forced)`: runtime.GC() (or debug.FreeOSMemory) started it.
 *
 * Each piece of the line is its own write(2) (runtime print), so a log line another goroutine
 * writes at that moment can land inside a gc line: that line then does not parse, and is
 * counted (GoGcTraceReader.malformed) and handed on as an other line.
 */
export interface GoGcCycle {
  cycle: number;
  atSeconds: number;
  cpuPercentSinceStart: number;
  forced: boolean;
  clockMs: { sweepTerm: number; mark: number; markTerm: number };
  cpuMs: { sweepTerm: number; assist: number; background: number; idle: number; markTerm: number };
  heapBeforeBytes: number;
  heapAfterBytes: number;
  heapLiveBytes: number;
  heapGoalBytes: number;
  stacksBytes: number | null;
  globalsBytes: number | null;
  procs: number;
}

const MS = '(\\d+(?:\\.\\d+)?)';
const LINE = new RegExp(
  `^gc (\\d+) @(\\d+(?:\\.\\d+)?)s (\\d+)%: ${MS}\\+${MS}\\+${MS} ms clock, ${MS}\\+${MS}/${MS}/${MS}\\+${MS} ms cpu, ` +
    `(\\d+)->(\\d+)->(\\d+) MB, (\\d+) MB goal, (?:(\\d+) MB stacks, (\\d+) MB globals, )?(\\d+) P( \\(forced\\))?\\r?$`,
);
/** What every gc line starts with: a line that starts so and does not parse is a damaged gc line. */
const GC_START = /^gc \d+ @/;
const MIB = 2 ** 20;

/** One stderr line → a GC cycle; null for anything else (log lines, scavenger lines, a damaged gc line). */
export function parseGcTraceLine(line: string): GoGcCycle | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const n = (i: number): number => Number(m[i]);
  return {
    cycle: n(1),
    atSeconds: n(2),
    cpuPercentSinceStart: n(3),
    forced: m[19] !== undefined,
    clockMs: { sweepTerm: n(4), mark: n(5), markTerm: n(6) },
    cpuMs: { sweepTerm: n(7), assist: n(8), background: n(9), idle: n(10), markTerm: n(11) },
    heapBeforeBytes: n(12) * MIB,
    heapAfterBytes: n(13) * MIB,
    heapLiveBytes: n(14) * MIB,
    heapGoalBytes: n(15) * MIB,
    stacksBytes: m[16] === undefined ? null : n(16) * MIB,
    globalsBytes: m[17] === undefined ? null : n(17) * MIB,
    procs: n(18),
  };
}

/** A line longer than this without a newline is handed on as it is: stderr is not ours to buffer without end. */
const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits a Go program's stderr into lines: gc lines → onCycle with the wall time their chunk
 * arrived, every other line (the program's own log) → onOther, in order. Chunks may split a
 * line, or a UTF-8 character, anywhere.
 */
export class GoGcTraceReader {
  /** Lines that began like a gc line but did not parse (see the format note above). */
  malformed = 0;
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly onCycle: (c: GoGcCycle, arrivedMs: number) => void,
    private readonly onOther: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const now = Date.now();
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl), now);
      start = nl + 1;
    }
    this.rest = text.slice(start);
    if (this.rest.length > MAX_LINE_CHARS) {
      this.line(this.rest, now);
      this.rest = '';
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    if (last !== '') this.line(last, Date.now());
  }

  private line(line: string, now: number): void {
    const c = parseGcTraceLine(line);
    if (c) {
      this.onCycle(c, now);
      return;
    }
    if (GC_START.test(line)) this.malformed++;
    this.onOther(line);
  }
}
