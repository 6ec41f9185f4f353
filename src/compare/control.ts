import type { Summary } from '../analysis/summary.js';
import type { Variant } from './plan.js';
import type { VariantResult } from './aggregate.js';
import { byRound, type Comparison } from './comparisons.js';
import { formatDifference } from './differences.js';

/** `--control`: the first variant's A/A twin, run right after it in every round. */
export function withControl(variants: Variant[]): Variant[] {
  const [first, ...rest] = variants;
  if (!first) return variants;
  return [first, { ...first, v8Flags: [...first.v8Flags], env: [...first.env], label: `${first.label}′ (control)`, control: true }, ...rest];
}

/** A figure the A/A twin read a detectable difference on: this run's instrument cannot be trusted for it. */
export interface Untrusted {
  figure: string;
  title: string;
  reading: string;
  why: string[];
}

/**
 * What the runs' summaries record that can move an A/A pair apart: a harness stall, the engine
 * silent, the fleet saturated, starved seconds in one run and not its twin, the fleet on the
 * engine's cores.
 */
export function noiseCauses(base: VariantResult, twin: VariantResult): string[] {
  const why: string[] = [];
  const a = byRound(base);
  const b = byRound(twin);
  const each = (label: string, runs: (Summary | undefined)[]): void => {
    runs.forEach((s, r) => {
      if (!s) return;
      const stalled = s.run.harnessStalledSeconds ?? 0;
      if (stalled > 0 || (s.run.harnessStalls?.length ?? 0) > 0) why.push(`the harness itself stalled in ${label} #${r + 1} (${stalled} s read neutral)`);
      if (s.run.missingSeconds > 0) why.push(`the engine sent no frame for ${s.run.missingSeconds} s in ${label} #${r + 1}`);
      if (s.fleet.saturated) why.push(`the fleet was saturated in ${label} #${r + 1}${s.fleet.reason ? ` (${s.fleet.reason})` : ''}`);
    });
  };
  each(base.variant.label, a);
  each(twin.variant.label, b);
  for (let r = 0; r < Math.max(a.length, b.length); r++) {
    const x = a[r]?.starvation.windows;
    const y = b[r]?.starvation.windows;
    if (x === undefined || y === undefined) continue;
    if (x > 0 && y === 0) why.push(`${base.variant.label} #${r + 1} was starved ${x} s and its twin not`);
    if (y > 0 && x === 0) why.push(`${twin.variant.label} #${r + 1} was starved ${y} s and ${base.variant.label} not`);
  }
  if (base.fleetShared || twin.fleetShared) why.push("the fleet shared the engine's cores (give --cores to leave it its own)");
  return why;
}

/** The figures the twin reads a detectable difference on, with what may explain it. */
export function untrustedFigures(control: Comparison, base: VariantResult, twin: VariantResult): Untrusted[] {
  const causes = noiseCauses(base, twin);
  return control.figures
    .filter((d) => d.word !== 'no difference detectable')
    .map((d) => ({ figure: d.figure, title: d.title, reading: formatDifference(d), why: causes }));
}

/** The verdict's lines on the control. */
export function controlLines(control: Comparison, untrusted: Untrusted[]): string[] {
  const rounds = Math.max(0, ...control.figures.map((d) => d.n));
  if (rounds < 2) return [`${control.label}: one round: the A/A twin's noise cannot be measured, so nothing here says whether the instrument held (--repeat 2 or more).`];
  if (untrusted.length === 0) return [`${control.label}: the A/A twin reads no detectable difference on any figure over ${control.figures[0]?.n ?? 0} rounds: the instrument held in this run.`];
  const why = untrusted[0]!.why;
  return [
    ...untrusted.map((u) => `NOT TRUSTWORTHY in this run: ${u.title}: the A/A twin (${control.label}) reads ${u.reading}, a detectable difference between identical runs, so a difference of that size in ${u.title} above may be the instrument's.`),
    `why the twins differ: ${why.length ? why.join('; ') : "nothing the runs' summaries record explains it (no harness stall, no silence, the fleet not saturated, no starved second in one twin only): another process on the cores, or this machine's own noise; promsoak does not see other processes"}.`,
  ];
}
