/**
 * Which load next: geometric (× factor) from the first step until one fails, then bisection
 * between the last pass and the first fail until (fail − pass) / pass ≤ resolution (or they
 * are one exporter apart), then the found load held twice as long to confirm it; a failed
 * confirmation goes on bisecting below it. The runner asks `next()`, runs the step, judges it
 * (judge.ts) and hands it to `record()`; `outcome()` says what was found once `next()` is null.
 */
import type { CapacityBy, CriterionFailure, StepLoad, StepPhase, StepPlan, StepResult } from './types.js';
import { count, plural } from './format.js';

export interface SearchOptions {
  /** Exporters offered in the first step, and the most the fleet has. */
  startExporters: number;
  maxExporters: number;
  /** Geometric growth until the first failure (2). */
  factor: number;
  /** Bisection stops when (fail − pass) / pass is at most this (0.05). */
  resolution: number;
  warmupSeconds: number;
  holdSeconds: number;
  /** Bounds: steps planned (spoiled ones included) and their planned seconds (warm-up + hold). */
  maxSteps: number;
  maxDurationSeconds: number;
  samplesPerExporterPerSecond: number;
  seriesPerExporter: number;
  by: CapacityBy;
}

export type OutcomeKind = 'ceiling' | 'above' | 'generator' | 'none' | 'interrupted';

export interface SearchOutcome {
  kind: OutcomeKind;
  /** The highest load that passed (ceiling: confirmed; above / generator / interrupted: at least this); null when none did. */
  samplesPerSecond: number | null;
  series: number | null;
  exporters: number | null;
  /** The lowest failing load above it and its first failed criterion (none: the first step's). */
  failureAbove: { samplesPerSecond: number; exporters: number; criterion: CriterionFailure['criterion']; words: string } | null;
  /** Index of the step the answer rests on (the confirmation, the saturated step, the failing first step). */
  step: number | null;
  /** The answer in one sentence. */
  words: string;
}

/** A spoiled step is planned again at most this many times. */
export const MAX_RETRIES = 2;

export class CapacitySearch {
  private readonly o: SearchOptions;
  private readonly results: StepResult[] = [];
  /** Loads (exporters) that passed, and failures by load: the lowest failing one above an answer names what broke. */
  private readonly passes = new Map<number, number>();
  private readonly failures = new Map<number, { step: number; failure: CriterionFailure }>();
  private pending: StepPlan | null;
  private low = 0;
  private high = Infinity;
  private phase: StepPhase = 'geometric';
  private retries = 0;
  private plannedSeconds = 0;
  private done: SearchOutcome | null = null;

  constructor(o: SearchOptions) {
    const bad = checkOptions(o);
    if (bad) throw new RangeError(`capacity search: ${bad}`);
    this.o = o;
    this.pending = this.plan(Math.min(o.startExporters, o.maxExporters), 'geometric');
    this.admit();
  }

  /** The next step to run, or null when the search has ended (see `outcome()`). The same plan until it is recorded. */
  next(): StepPlan | null {
    return this.done ? null : this.pending;
  }

  /** Every step recorded, in order. */
  steps(): readonly StepResult[] {
    return this.results;
  }

  /**
   * Hands over the pending step's result (judge.ts). The search keeps it numbered by its place
   * in `steps()` (its `index` is set to that), and the outcome's `step` names that number.
   */
  record(judged: StepResult): void {
    const plan = this.pending;
    if (this.done || !plan) throw new Error('capacity search: a step recorded after the search ended');
    if (judged.plan.load.exporters !== plan.load.exporters || judged.plan.phase !== plan.phase) {
      throw new Error(`capacity search: recorded a step of ${judged.plan.load.exporters} exporters (${judged.plan.phase}) but planned ${plan.load.exporters} (${plan.phase})`);
    }
    const r: StepResult = { ...judged, index: this.results.length };
    this.results.push(r);
    const e = plan.load.exporters;
    if (r.spoiled !== undefined) {
      if (this.retries >= MAX_RETRIES) {
        return this.end('interrupted', `the step at ${describe(plan.load)} was spoiled ${plural(this.retries + 1, 'time')} (last: ${r.spoiled})`, r.index);
      }
      this.retries++;
      return this.admit();
    }
    this.retries = 0;
    if (!r.pass && r.failed[0]) this.failures.set(e, { step: r.index, failure: r.failed[0] });
    if (r.pass) this.passes.set(e, r.index);

    if (r.generatorSaturated !== null) {
      return this.end('generator', r.generatorSaturated, r.index, r);
    }
    // Memory does not come back when the load goes down: the system keeps the series it has
    // taken (a head holds them until they go stale), so every step below a memory failure would
    // read that step's memory and fail too. The answer is the last pass, to the step's factor.
    if (!r.pass && this.passes.size > 0 && r.failed.some((f) => f.criterion === 'memory')) {
      return this.end('ceiling', STICKY_MEMORY, r.index);
    }
    if (this.phase === 'geometric') this.afterGeometric(e, r);
    else if (this.phase === 'bisect') this.afterBisect(e, r);
    else this.afterConfirm(e, r);
    if (!this.done) this.admit();
  }

  /** Ends the search where it stands (Ctrl-C, the runner's own bound): every finished step kept. */
  interrupt(why: string): void {
    if (!this.done) this.end('interrupted', why, this.results.at(-1)?.index ?? null);
  }

  /** What was found; null while the search goes on. */
  outcome(): SearchOutcome | null {
    return this.done;
  }

  private afterGeometric(e: number, r: StepResult): void {
    if (r.pass) {
      this.low = e;
      if (e >= this.o.maxExporters) {
        return this.end('above', `all ${this.o.maxExporters} exporters of the fleet offered`, r.index);
      }
      this.pending = this.plan(Math.min(this.o.maxExporters, Math.max(e + 1, Math.ceil(e * this.o.factor))), 'geometric');
      return;
    }
    if (this.passes.size === 0) {
      return this.end('none', 'the first step failed', r.index);
    }
    this.high = e;
    this.bisectOrConfirm();
  }

  private afterBisect(e: number, r: StepResult): void {
    if (r.pass) this.low = e;
    else this.high = e;
    this.bisectOrConfirm();
  }

  private afterConfirm(e: number, r: StepResult): void {
    if (r.pass) return this.end('ceiling', '', r.index);
    // The found load did not hold: it is a failure, and the search goes on below it from the highest pass there.
    this.high = e;
    for (const k of [...this.passes.keys()]) if (k >= e) this.passes.delete(k);
    this.low = this.passes.size ? Math.max(...this.passes.keys()) : 0;
    this.bisectOrConfirm();
  }

  private bisectOrConfirm(): void {
    const { low, high } = this;
    if (low === 0 && high <= 1) return this.end('none', 'no step held, down to 1 exporter', this.results.at(-1)?.index ?? null);
    const resolved = low > 0 && (high - low <= 1 || (high - low) / low <= this.o.resolution);
    this.phase = resolved ? 'confirm' : 'bisect';
    this.pending = resolved ? this.plan(low, 'confirm') : this.plan(Math.max(1, Math.floor((low + high) / 2)), 'bisect');
  }

  /** Lets the pending step run unless it would pass --max-steps or --max-duration. */
  private admit(): void {
    const p = this.pending;
    if (!p || this.done) return;
    const seconds = p.warmupSeconds + p.holdSeconds;
    const last = this.results.at(-1)?.index ?? null;
    if (this.results.length >= this.o.maxSteps) return this.end('above', `--max-steps ${this.o.maxSteps} reached`, last);
    if (this.plannedSeconds + seconds > this.o.maxDurationSeconds) return this.end('above', `--max-duration ${this.o.maxDurationSeconds} s reached (the next step needed ${seconds} s more)`, last);
    this.plannedSeconds += seconds;
  }

  private plan(exporters: number, phase: StepPhase): StepPlan {
    this.phase = phase;
    const hold = phase === 'confirm' ? 2 * this.o.holdSeconds : this.o.holdSeconds;
    return { load: this.load(exporters), phase, warmupSeconds: this.o.warmupSeconds, holdSeconds: hold };
  }

  private load(exporters: number): StepLoad {
    return { exporters, offeredSamplesPerSecond: exporters * this.o.samplesPerExporterPerSecond, series: exporters * this.o.seriesPerExporter };
  }

  private end(kind: OutcomeKind, why: string, step: number | null, saturated?: StepResult): void {
    const best = this.passes.size ? Math.max(...this.passes.keys()) : null;
    // A saturated step that passed still counts: the system kept that load.
    const at = best !== null ? this.load(best) : null;
    const above = this.failureAbove(best ?? 0);
    // Nothing passed (the generator ran out at a failing first step): no load was kept, neither
    // the series offered nor the rate ingested there; the step's failure is said with it.
    const load = at;
    if (kind === 'generator' && load === null && saturated?.failed[0]) why = `${why}; the step at ${describe(saturated.plan.load)} failed: ${saturated.failed[0].words}`;
    this.done = {
      kind,
      samplesPerSecond: load?.offeredSamplesPerSecond ?? null,
      series: load?.series ?? null,
      exporters: load?.exporters ?? null,
      failureAbove: kind === 'generator' ? null : above,
      step: kind === 'ceiling' || kind === 'none' || kind === 'generator' ? step : (best !== null ? this.passes.get(best)! : step),
      words: outcomeWords(kind, load, above, why, this.o.by),
    };
    this.pending = null;
  }

  private failureAbove(exporters: number): SearchOutcome['failureAbove'] {
    const above = [...this.failures.keys()].filter((k) => k > exporters).sort((a, b) => a - b)[0];
    if (above === undefined) return null;
    const f = this.failures.get(above)!.failure;
    return { samplesPerSecond: this.load(above).offeredSamplesPerSecond, exporters: above, criterion: f.criterion, words: f.words };
  }
}

function describe(l: StepLoad): string {
  return `${count(l.offeredSamplesPerSecond)} samples/s (${plural(l.exporters, 'exporter')}, ${count(l.series)} series)`;
}

const STICKY_MEMORY = 'memory does not come back when the load goes down (the system keeps the series it took), so no step below a memory failure can be measured';

function outcomeWords(kind: OutcomeKind, load: StepLoad | null, above: SearchOutcome['failureAbove'], why: string, by: CapacityBy): string {
  const what = load ? (by === 'series' ? `${count(load.series)} series (${count(load.offeredSamplesPerSecond)} samples/s)` : `${count(load.offeredSamplesPerSecond)} samples/s (${count(load.series)} series)`) : null;
  const next = above ? `; at ${count(above.samplesPerSecond)} samples/s ${above.words}` : '';
  switch (kind) {
    case 'ceiling':
      if (why === STICKY_MEMORY) return `ceiling ${what}, to the step above it: ${why}${next}`;
      return `ceiling ${what}, held twice as long to confirm${next}`;
    case 'above':
      return `above ${what ?? 'the first step'} (${why})${next}`;
    case 'generator':
      return what ? `at least ${what}: the load generator ran out first (${why})` : `no load kept and none measured: the load generator ran out at the first step (${why})`;
    case 'none':
      return `no load kept: ${why}${above ? ` (${count(above.samplesPerSecond)} samples/s, ${plural(above.exporters, 'exporter')}): ${above.words}` : ''}`;
    case 'interrupted':
      return `interrupted (${why})${what ? `: at least ${what} kept` : ': no step passed'}`;
  }
}

/** What is wrong with the search's options, in a line; null when they are sound. */
export function checkOptions(o: SearchOptions): string | null {
  const int = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
  if (!int(o.maxExporters, 1)) return `maxExporters must be a whole number ≥ 1 (got ${o.maxExporters})`;
  if (!int(o.startExporters, 1)) return `startExporters must be a whole number ≥ 1 (got ${o.startExporters})`;
  if (!(o.factor > 1 && Number.isFinite(o.factor))) return `factor must be above 1 (got ${o.factor})`;
  if (!(o.resolution > 0 && o.resolution < 1)) return `resolution must be in (0, 1) (got ${o.resolution})`;
  if (!int(o.maxSteps, 1)) return `maxSteps must be a whole number ≥ 1 (got ${o.maxSteps})`;
  if (!(o.maxDurationSeconds > 0)) return `maxDurationSeconds must be above 0 (got ${o.maxDurationSeconds})`;
  if (!(o.warmupSeconds >= 0) || !(o.holdSeconds > 0)) return `warmupSeconds must be ≥ 0 and holdSeconds above 0 (got ${o.warmupSeconds}, ${o.holdSeconds})`;
  if (!(o.samplesPerExporterPerSecond > 0) || !(o.seriesPerExporter > 0)) return 'samplesPerExporterPerSecond and seriesPerExporter must be above 0';
  return null;
}
