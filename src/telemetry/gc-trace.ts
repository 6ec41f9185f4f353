import type { GcEvent, GcKind } from '../protocol/frame.js';

/**
 * V8's `--trace-gc-nvp` lines (name=value pairs, one line per GC, on stdout) parsed into GC
 * events. Node 20 prints, per isolate:
 *
 *   [9832:0x3c4b4c40]      152 ms: pause=11.0 mutator=20.0 gc=mc … allocated=27476616 promoted=2150336 …
 *
 * `allocated` is what the heap grew by since the previous GC (for a young-generation
 * workload, the allocation), `background.*` the GC work V8's platform threads did.
 */
const HEAD = /^\[(\d+):(0x[0-9a-f]+)\]\s+(\d+) ms: /;
const KINDS: Record<string, GcKind> = { s: 'scavenge', mc: 'mark-compact', mmc: 'minor-mark-compact', ms: 'minor-mark-compact' };

/** One trace line → an event; anything else (not a GC line) → undefined. */
export function parseGcTraceLine(line: string): GcEvent | undefined {
  const head = HEAD.exec(line);
  if (!head) return undefined;
  const f = new Map<string, string>();
  for (const pair of line.slice(head[0].length).split(' ')) {
    const eq = pair.indexOf('=');
    if (eq > 0) f.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const gc = f.get('gc');
  if (gc === undefined || !f.has('pause')) return undefined;
  const num = (k: string): number => {
    const v = Number(f.get(k));
    return Number.isFinite(v) ? v : 0;
  };
  let background = 0;
  for (const [k, v] of f) {
    // Leaves only: background.evacuate.copy and background.evacuate.update_pointers are
    // parts; V8 prints no parent total for background phases, so every key is summed.
    if (k.startsWith('background.')) background += Number(v) || 0;
  }
  const kind = KINDS[gc] ?? 'other';
  return {
    pid: Number(head[1]),
    isolate: head[2]!,
    isolateMs: Number(head[3]),
    kind,
    pauseMs: num('pause'),
    mutatorMs: num('mutator'),
    // A scavenge line's incremental.steps_took is the running total of the marking cycle in
    // progress (it repeats on every scavenge until the cycle ends); the mark-compact that ends
    // the cycle carries its total as incremental=. Counting that one alone counts each step once.
    incrementalMs: kind === 'mark-compact' ? num('incremental') : 0,
    backgroundMs: background,
    // V8 prints a negative growth as its uint64 wrap-around (18446744073709550000): none.
    allocatedBytes: num('allocated') > 2 ** 53 ? 0 : num('allocated'),
    promotedBytes: num('promoted'),
    sizeBeforeBytes: num('total_size_before'),
    sizeAfterBytes: num('total_size_after'),
    reduceMemory: f.get('reduce_memory') === '1',
  };
}

/**
 * Splits a byte stream (the engine's stdout) into lines and hands over each GC event with
 * the wall time it arrived at; other lines go to `other` (the engine prints nothing else there).
 */
export class GcTraceReader {
  private rest = '';
  /** Per isolate, the heap size after its last GC. */
  private readonly lastAfter = new Map<string, number>();
  constructor(
    private readonly onEvent: (e: GcEvent, arrivedMs: number) => void,
    private readonly other: (line: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    const now = Date.now();
    for (const line of lines) this.line(line, now);
  }

  end(): void {
    if (this.rest) this.line(this.rest, Date.now());
    this.rest = '';
  }

  private line(line: string, now: number): void {
    if (line === '') return;
    const e = parseGcTraceLine(line);
    if (!e) {
      this.other(line);
      return;
    }
    // While incremental marking runs, V8 (Node 20) prints allocated= as the whole heap size
    // (its previous event is the marking start, of size 0): then the growth since this
    // isolate's previous GC is the allocation, as on every other line.
    const before = this.lastAfter.get(e.isolate);
    if (before !== undefined && e.allocatedBytes === e.sizeBeforeBytes) e.allocatedBytes = Math.max(0, e.sizeBeforeBytes - before);
    this.lastAfter.set(e.isolate, e.sizeAfterBytes);
    this.onEvent(e, now);
  }
}
