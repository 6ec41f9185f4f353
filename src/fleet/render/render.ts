import { mix2, mix3 } from '../../common/hash.js';
import type { Layout } from './layout.js';
import { ValueKind, SpliceKind } from './lines.js';
import { writeFloat, writeMillis, writeUint } from './number-writer.js';

/**
 * A render target, one ArrayBuffer: [head room | body | layout literal | previous line offsets].
 * - The body is written at [bodyStart, bodyStart + length); the head room before it (0 unless
 *   asked for) is where a server writes the HTTP response head, so head and body leave in one
 *   write from one buffer.
 * - The literal bytes sit at [litBase, litBase + lit.length), so a literal range is copied
 *   with copyWithin (a memmove builtin, ~17 ns) rather than Buffer#copy (~60 ns in Node 20,
 *   which also allocates a view per call).
 * - `prev[i]` is where line i started in the body the buffer last held. A line that starts
 *   at the same offset again finds its literal bytes already in place and only writes its
 *   value: with recycled buffers most lines skip the copy (values of one line mostly keep
 *   their width from scrape to scrape and exporter to exporter).
 */
export class Scratch {
  readonly buf: Uint8Array;
  readonly litBase: number;
  readonly prev: Int32Array;
  /** Where the body starts in `buf` (the head room's size). */
  readonly bodyStart: number;
  /**
   * `recycled`: a buffer an earlier Scratch of the same layout rendered into (the fleet passes
   * bodies back to the workers once sent), whose literal tail is intact: nothing to install.
   */
  constructor(
    readonly layout: Layout,
    recycled?: ArrayBuffer,
    headRoom = 0,
  ) {
    this.bodyStart = headRoom;
    this.litBase = headRoom + layout.maxBytes;
    const prevBase = Scratch.prevBase(layout, headRoom);
    const size = prevBase + 4 * layout.lines;
    if (recycled && recycled.byteLength === size) {
      this.buf = new Uint8Array(recycled);
      this.prev = new Int32Array(recycled, prevBase, layout.lines);
    } else {
      this.buf = new Uint8Array(size);
      this.buf.set(layout.lit, this.litBase);
      this.prev = new Int32Array(this.buf.buffer, prevBase, layout.lines).fill(-1);
    }
  }

  private static prevBase(layout: Layout, headRoom: number): number {
    return (headRoom + layout.maxBytes + layout.lit.length + 3) & ~3;
  }
}

/**
 * Renders one exporter's scrape at time t (seconds since the fleet's origin) into the
 * scratch buffer and returns the body's length (the body is scratch.buf[bodyStart, bodyStart + length)).
 * MUST stay allocation-free outside replayed floats: runs once per sample, thousands of
 * exporters a second.
 */
export function render(
  scratch: Scratch,
  seed: number,
  valuesEvery: number,
  churnEvery: number,
  exporter: number,
  t: number,
): number {
  const layout = scratch.layout;
  const out = scratch.buf;
  const lb = scratch.litBase;
  const prev = scratch.prev;
  const { start, split, end, splice, kind, churned, key, rate, aux, base } = layout;
  const tq = Math.floor(t / valuesEvery);
  const T = tq * valuesEvery;
  // Per-exporter rate factor in [0.5, 1.5): exporters of one profile differ, reproducibly.
  const ef = 0.5 + (mix2(seed, exporter) & 1023) / 1024;
  let epoch = 0;
  let Tc = T;
  if (churnEvery > 0) {
    const phase = (mix2(seed ^ 0x5bd1e995, exporter) % 1000) / 1000 * churnEvery;
    epoch = Math.floor((t + phase) / churnEvery);
    Tc = Math.max(0, T - (epoch * churnEvery - phase));
  }
  const bodyStart = scratch.bodyStart;
  let off = bodyStart;
  const n = layout.lines;
  for (let i = 0; i < n; i++) {
    const sp = splice[i];
    if (sp === SpliceKind.None) {
      // The literal is already here when this line started here last time.
      if (prev[i] !== off) {
        out.copyWithin(off, lb + start[i]!, lb + end[i]!);
        prev[i] = off;
      }
      off += end[i]! - start[i]!;
    } else {
      prev[i] = -1;
      out.copyWithin(off, lb + start[i]!, lb + split[i]!);
      off += split[i]! - start[i]!;
      off = writeUint(out, off, sp === SpliceKind.Exporter ? exporter : epoch);
      out.copyWithin(off, lb + split[i]!, lb + end[i]!);
      off += end[i]! - split[i]!;
    }
    const time = churned[i] === 1 ? Tc : T;
    switch (kind[i]) {
      case ValueKind.Counter:
        off = writeUint(out, off, base[i]! + Math.floor(rate[i]! * ef * time));
        break;
      case ValueKind.Gauge:
        off = writeMillis(out, off, 10000 + (mix3(key[i]!, exporter, tq) % 90000));
        break;
      case ValueKind.Bucket:
        off = writeUint(out, off, Math.floor((base[i]! + Math.floor(rate[i]! * ef * time)) * aux[i]!));
        break;
      case ValueKind.Count:
        off = writeUint(out, off, base[i]! + Math.floor(rate[i]! * ef * time));
        break;
      case ValueKind.Sum:
        off = writeMillis(out, off, (base[i]! + Math.floor(rate[i]! * ef * time)) * aux[i]!);
        break;
      case ValueKind.Quantile:
        off = writeMillis(out, off, aux[i]! + (mix3(key[i]!, exporter, tq) % 1000));
        break;
      case ValueKind.Literal:
        out.copyWithin(off, lb + layout.valueStart[i]!, lb + layout.valueEnd[i]!);
        off += layout.valueEnd[i]! - layout.valueStart[i]!;
        break;
      case ValueKind.Replay:
        off = writeFloat(out, off, base[i]! + Math.floor(rate[i]! * ef * time) * aux[i]!);
        break;
    }
  }
  out.copyWithin(off, lb + layout.trailerStart, lb + layout.trailerEnd);
  return off + layout.trailerEnd - layout.trailerStart - bodyStart;
}
