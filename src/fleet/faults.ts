import { mix2, mix3, unit } from '../common/hash.js';
import type { ResolvedProfile } from '../profile/load.js';
import { FAULT_KINDS, type FaultKind } from '../profile/schema.js';

/**
 * Which exporters misbehave, and how: the profile's `faults` section turned into one fault
 * kind (or none) per exporter. Exactly round(fraction × exporters) exporters get each kind,
 * picked by the seed (the same exporters every run), so a soak knows what it injected and can
 * hold what the scraper reported against it.
 */

export class FaultPlan {
  /** Per exporter: an index into FAULT_KINDS, or -1 (healthy). */
  readonly kindOf: Int8Array;
  /** Exporters per injected kind. */
  readonly injected: Partial<Record<FaultKind, number>> = {};
  private readonly seed: number;

  constructor(readonly profile: ResolvedProfile) {
    const n = profile.exporters;
    this.seed = profile.seed;
    this.kindOf = new Int8Array(n).fill(-1);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => mix2(this.seed ^ 0x6661756c, a) - mix2(this.seed ^ 0x6661756c, b) || a - b);
    let at = 0;
    FAULT_KINDS.forEach((kind, k) => {
      const f = profile.faults[kind];
      if (!f || f.fraction <= 0) return;
      const count = Math.min(n - at, Math.round(f.fraction * n));
      for (let i = 0; i < count; i++) this.kindOf[order[at++]!] = k;
      if (count > 0) this.injected[kind] = count;
    });
  }

  get any(): boolean {
    return Object.keys(this.injected).length > 0;
  }

  kind(exporter: number): FaultKind | undefined {
    const k = this.kindOf[exporter] ?? -1;
    return k < 0 ? undefined : FAULT_KINDS[k];
  }

  /** A slow exporter's delay for the scrape at `t` seconds, ms. */
  delayMs(exporter: number, t: number): number {
    const f = this.profile.faults.slow!;
    return f.minMs + (f.maxMs - f.minMs) * unit(mix3(this.seed, exporter, Math.floor(t * 1000)));
  }

  /** Whether a flapping exporter is down at `t` seconds (each has its own phase). */
  down(exporter: number, t: number): boolean {
    const half = this.profile.faults.flap!.periodSeconds / 2;
    const phase = unit(mix2(this.seed, exporter)) * half * 2;
    return Math.floor((t + phase) / half) % 2 === 1;
  }
}
