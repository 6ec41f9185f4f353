import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { RampSource, RampSystem, SoakRamp } from '../run/soak-ramp.js';
import type { Criteria, StepPlan, StepResult, StepWindow } from './types.js';
import { generatorSaturation } from './judge.js';
import { MAX_RETRIES } from './search.js';

/** What moves the load of the running soak (dial.ts's LoadDial). */
export interface Dial {
  readonly maxExporters: number;
  set(n: number): Promise<void>;
  readonly offered: number;
}

/** The search's side (search.ts's CapacitySearch): which load next, and what a step found. */
export interface StepSearch {
  next(): StepPlan | null;
  record(r: StepResult): void;
}

/** The step window's settings that stay the same for every step of a ramp. */
type RampWindowSettings = Pick<StepWindow, 'cores' | 'intervalSeconds' | 'pushed' | 'pushBatchSamples' | 'fleetCores' | 'gcTraced'>;

export interface RampOptions extends RampWindowSettings {
  search: StepSearch;
  judge: (w: StepWindow, criteria: Criteria) => StepResult;
  criteria: Criteria;
  /** The dial for the soak's system, made once the fleet is up (before the system starts). */
  makeDial: (source: RampSource) => Promise<Dial>;
  /** The exporters offered from the system's start: the first step's. */
  firstExporters: number;
  /** Told what the ramp is doing (a live line) and each step's result once judged. */
  onStatus?: (line: string) => void;
  onStep?: (r: StepResult) => void;
  /** The engine child gets its retarget through the dial: handed over when the system is up. */
  onSystem?: (system: RampSystem) => void;
}

/** How long past a step's warm-up the frames may take to show its load before the step is spoiled. */
export const TAKE_SLACK_SECONDS = 10;

/**
 * The capacity ramp's controller, run inside one open-ended soak: for each step the search
 * plans, set the dial, wait the step's warm-up (and until the frames show the new load, else the
 * step is spoiled), collect the hold's frames and GC events, judge, record. A harness stall or a
 * fleet shard down inside a step spoils it (the search plans it again). Ends when the search
 * has no next step or the soak's window ends (Ctrl-C, the system's exit): a step cut short is
 * not judged; `steps` keeps every judged one.
 */
export class CapacityRamp implements SoakRamp {
  readonly steps: StepResult[] = [];
  private readonly frames: Frame[] = [];
  private readonly gcEvents: TimedGcEvent[] = [];
  private dial: Dial | undefined;

  constructor(private readonly o: RampOptions) {}

  async prepare(source: RampSource): Promise<void> {
    this.dial = await this.o.makeDial(source);
    await this.dial.set(this.o.firstExporters);
  }

  onFrame(frame: Frame): void {
    this.frames.push(frame);
  }

  onGc(event: TimedGcEvent): void {
    this.gcEvents.push(event);
  }

  async run(system: RampSystem): Promise<void> {
    const dial = this.dial;
    if (!dial) throw new Error('CapacityRamp.run before prepare');
    this.o.onSystem?.(system);
    const signal = system.signal;
    for (;;) {
      if (signal.aborted) return;
      const plan = this.o.search.next();
      if (!plan) return;
      const r = await this.step(plan, dial, system);
      if (!r) return; // the soak's window ended inside the step
      r.index = this.steps.length;
      this.steps.push(r);
      this.o.search.record(r);
      this.o.onStep?.(r);
    }
  }

  private async step(plan: StepPlan, dial: Dial, system: RampSystem): Promise<StepResult | null> {
    const { signal } = system;
    const what = `step #${this.steps.length} (${plan.phase}): ${plan.load.exporters} exporters, ${fmtRate(plan.load.offeredSamplesPerSecond)} samples/s offered`;
    this.o.onStatus?.(`${what}: warming up ${plan.warmupSeconds} s`);
    const before = dial.offered;
    const setAtMs = Date.now();
    await dial.set(plan.load.exporters);
    // Only frames begun once the change was handed over can show it.
    const setDoneMs = Date.now();
    if (!(await sleep(plan.warmupSeconds * 1000, signal))) return null;
    const took = await this.untilLoadShows(plan, before, setDoneMs, signal);
    if (took === null) return null;
    const holdStartMs = Date.now();
    this.o.onStatus?.(`${what}: holding ${plan.holdSeconds} s`);
    // The hold, and the second a frame takes to arrive after it.
    if (!(await sleep(plan.holdSeconds * 1000 + 1100, signal))) return null;
    const holdEndMs = holdStartMs + plan.holdSeconds * 1000;
    // A frame is the hold's when its middle is.
    const frames = this.frames.filter((f) => (f.startMs + f.endMs) / 2 >= holdStartMs && (f.startMs + f.endMs) / 2 < holdEndMs);
    const gcEvents = this.gcEvents.filter((e) => e.wallMs >= holdStartMs && e.wallMs <= holdEndMs);
    const spoiled = spoiledBy(system, frames, setAtMs, holdEndMs) ?? silentIn(frames, holdStartMs, holdEndMs);
    const w: StepWindow = { plan, frames, gcEvents, cores: this.o.cores, intervalSeconds: this.o.intervalSeconds, pushed: this.o.pushed, ...(spoiled ? { spoiled } : {}) };
    if (this.o.fleetCores !== undefined) w.fleetCores = this.o.fleetCores;
    if (this.o.gcTraced !== undefined) w.gcTraced = this.o.gcTraced;
    if (this.o.pushBatchSamples !== undefined) w.pushBatchSamples = this.o.pushBatchSamples;
    const r = this.o.judge(w, this.o.criteria);
    if (spoiled) r.spoiled = spoiled;
    else if (took !== true) {
      // The load never showed: a fleet out of its resources (its cores used up or its renders
      // queued, or a shard's, while it tried or in the hold) is the generator running out, the
      // search's end; otherwise (a scraper slow to act on its targets, a dial that did not move)
      // the step is run again. What the fleet generated is not that evidence: it is what did not show.
      const trying = this.frames.filter((f) => f.startMs >= setDoneMs && f.endMs <= holdStartMs);
      const ranOut = generatorSaturation({ ...w, pushed: false }) ?? generatorSaturation({ ...w, frames: trying, pushed: false });
      if (ranOut !== null) r.generatorSaturated = `${ranOut}; ${took}`;
      else if (!(this.lastTry(plan) && systemSaturated(r))) r.spoiled = took;
      // Else the last try, and the system used up its cores or starved while the fleet idled: a
      // scraper too busy to ask for the scrapes (the built-in engine at 6.4M samples/s on one
      // core asked for 598 of 32,000 a second, its core used up): judged, and it fails.
    }
    // Only what the ramp still needs is kept (the soak's own recorder has every frame).
    this.forgetBefore(holdEndMs);
    return r;
  }

  /**
   * After the warm-up, until the frames (begun after the dial was set, when it moved) show the step's load
   * (averaged over a scrape interval, within half of what the step's exporters offer, and nearer
   * to it than to what the `before` exporters offered: a bisection step is within half of the
   * last step's load too): scraped, the scrapes the fleet served; pushed, the samples it
   * generated. True, or why not after TAKE_SLACK_SECONDS more; null when the soak's window ended.
   */
  private async untilLoadShows(plan: StepPlan, before: number, sinceMs: number, signal: AbortSignal): Promise<true | string | null> {
    const pushed = this.o.pushed;
    const perExporter = pushed ? plan.load.offeredSamplesPerSecond / plan.load.exporters : 1 / this.o.intervalSeconds;
    const expected = plan.load.exporters * perExporter;
    const previous = before * perExporter;
    const deadline = Date.now() + TAKE_SLACK_SECONDS * 1000;
    const span = Math.max(1, Math.ceil(this.o.intervalSeconds));
    let seen = 0;
    for (;;) {
      const last = (before === plan.load.exporters ? this.frames : this.frames.filter((f) => f.startMs >= sinceMs)).slice(-span);
      seen = last.length ? last.reduce((a, f) => a + (pushed ? (f.fleet.push?.generated ?? 0) : f.fleet.scrapesServed), 0) / last.length : 0;
      const off = Math.abs(seen - expected);
      if (last.length === span && off <= 0.5 * expected && (before === plan.load.exporters || off < Math.abs(seen - previous))) return true;
      if (Date.now() > deadline) {
        const what = pushed ? `generated ${seen.toFixed(0)} samples/s where ${plan.load.exporters} exporters offer ${expected.toFixed(0)}` : `served ${seen.toFixed(1)} scrapes/s where ${plan.load.exporters} exporters offer ${expected.toFixed(1)}`;
        return `the fleet ${what}: the load change did not take within the warm-up + ${TAKE_SLACK_SECONDS} s`;
      }
      if (!(await sleep(500, signal))) return null;
    }
  }

  /** Whether this step is the search's last try at its load: the tries before it, as many as it retries, were spoiled. */
  private lastTry(plan: StepPlan): boolean {
    const tail = this.steps.slice(-MAX_RETRIES);
    return tail.length === MAX_RETRIES && tail.every((s) => s.spoiled !== undefined && s.plan.load.exporters === plan.load.exporters);
  }

  private forgetBefore(ms: number): void {
    const f = this.frames.findIndex((x) => x.endMs > ms);
    this.frames.splice(0, f < 0 ? this.frames.length : f);
    const g = this.gcEvents.findIndex((x) => x.wallMs > ms);
    this.gcEvents.splice(0, g < 0 ? this.gcEvents.length : g);
  }
}

/** A harness stall or a fleet shard down between the step's start and the end of its hold: why the step is not judged. */
export function spoiledBy(system: Pick<RampSystem, 'stalls'>, frames: Frame[], fromMs: number, toMs: number): string | undefined {
  const stall = system.stalls.find((s) => s.toMs > fromMs && s.fromMs < toMs);
  if (stall) return `a harness stall of ${((stall.toMs - stall.fromMs) / 1000).toFixed(1)} s (${stall.why})`;
  for (const f of frames) {
    const down = f.fleet.shards?.find((s) => !s.up);
    if (down) return `fleet shard ${down.shard} (${down.url}) was down at t=${f.t} s`;
  }
  return undefined;
}

/** The judged step failed on the system's own resources: its CPU reached the cores given, or it starved. */
function systemSaturated(r: StepResult): boolean {
  return r.failed.some((f) => f.criterion === 'cpu' || f.criterion === 'starved');
}

/** Seconds of a hold its frames may leave uncovered (its edges) before the step is not judged. */
export const MAX_UNCOVERED_SECONDS = 1.5;

/**
 * Why a hold's frames cannot be judged: they cover less of it than the hold less
 * MAX_UNCOVERED_SECONDS (the system, or the pipe its frames come by, went silent: a few seconds,
 * or none, would read as a pass of the whole hold); undefined when they cover it.
 */
export function silentIn(frames: readonly Frame[], fromMs: number, toMs: number): string | undefined {
  let covered = 0;
  for (const f of frames) covered += Math.max(0, Math.min(f.endMs, toMs) - Math.max(f.startMs, fromMs));
  if (covered >= toMs - fromMs - MAX_UNCOVERED_SECONDS * 1000) return undefined;
  return `the frames cover ${(covered / 1000).toFixed(1)} s of the ${((toMs - fromMs) / 1000).toFixed(1)} s hold: the system went silent`;
}

/** Waits `ms`; false when the signal aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve(true)), ms);
    const onAbort = (): void => (clearTimeout(t), resolve(false));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** 512000 → "512k", 2.1e6 → "2.1M". */
export function fmtRate(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(1)}`;
}
