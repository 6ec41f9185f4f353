import { mix2, mix3 } from './hash.js';
import type { Layout } from './layout.js';
import { ValueKind, SpliceKind } from './model.js';
import { writeFloat, writeMillis, writeUint } from './number-writer.js';

/**
 * Renders one exporter's scrape at time t (seconds since the fleet's origin) into `out`
 * (at least layout.maxBytes long) and returns the body's length.
 * MUST stay allocation-free outside replayed floats: runs once per sample, thousands of
 * exporters a second.
 */
export function render(
  layout: Layout,
  seed: number,
  valuesEvery: number,
  churnEvery: number,
  exporter: number,
  t: number,
  out: Uint8Array,
): number {
  const lit = layout.lit;
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
  let off = 0;
  const n = layout.lines;
  for (let i = 0; i < n; i++) {
    const sp = splice[i];
    if (sp === SpliceKind.None) {
      off += lit.copy(out, off, start[i]!, end[i]!);
    } else {
      off += lit.copy(out, off, start[i]!, split[i]!);
      off = writeUint(out, off, sp === SpliceKind.Exporter ? exporter : epoch);
      off += lit.copy(out, off, split[i]!, end[i]!);
    }
    const time = churned[i] === 1 ? Tc : T;
    switch (kind[i]) {
      case ValueKind.Counter:
        off = writeUint(out, off, base[i]! + Math.floor(rate[i]! * ef * time));
        break;
      case ValueKind.Gauge:
        off = writeMillis(out, off, mix3(key[i]!, exporter, tq) % 100000);
        break;
      case ValueKind.Bucket:
        off = writeUint(out, off, Math.floor(Math.floor(rate[i]! * ef * time) * aux[i]!));
        break;
      case ValueKind.Count:
        off = writeUint(out, off, Math.floor(rate[i]! * ef * time));
        break;
      case ValueKind.Sum:
        off = writeMillis(out, off, Math.floor(rate[i]! * ef * time) * aux[i]!);
        break;
      case ValueKind.Quantile:
        off = writeMillis(out, off, aux[i]! + (mix3(key[i]!, exporter, tq) % 1000));
        break;
      case ValueKind.Literal:
        off += lit.copy(out, off, layout.valueStart[i]!, layout.valueEnd[i]!);
        break;
      case ValueKind.Replay:
        off = writeFloat(out, off, base[i]! + Math.floor(rate[i]! * ef * time) * aux[i]!);
        break;
    }
  }
  off += lit.copy(out, off, layout.trailerStart, layout.trailerEnd);
  return off;
}
