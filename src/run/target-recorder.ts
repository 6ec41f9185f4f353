import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import { goCycleEvent } from '../telemetry/go-gc-event.js';
import { GoGcTraceReader } from '../telemetry/go-gctrace.js';
import { GoGcGuard } from '../telemetry/go-gc-guard.js';
import type { SoakProgress } from './recorder.js';
import type { RunDir } from './run-dir.js';
import type { FleetFrameMeter } from './fleet-meter.js';
import type { TargetSecond } from './target-sampler.js';

/**
 * Records a target's soak: each second the sampler's reading with the fleet's CPU of the same
 * second into frames.ndjson, and every Go GC cycle from the target's stderr (gctrace) into
 * gc.ndjson, on the wall clock (a gctrace line is printed as its cycle ends).
 */
export class TargetRecorder {
  readonly frames: Frame[] = [];
  readonly gcEvents: TimedGcEvent[] = [];
  soakStart = 0;
  /** Told each GC event as it is recorded (the live metrics). */
  onGc: ((e: TimedGcEvent) => void) | undefined;
  private readonly gctrace: GoGcTraceReader;
  private previousLive: number | null = null;
  /** gctrace lines seen since the target started (before the soak's clock too): is it a Go program that traces? */
  goCycles = 0;
  /** gctrace lines left out as repeats or impossible (telemetry/go-gc-guard.ts). */
  readonly gcGuard = new GoGcGuard(Date.now());
  private lastFrameAtMs = 0;

  constructor(
    private readonly dir: RunDir,
    private readonly fleetMeter: FleetFrameMeter,
    private readonly warmupSeconds: number,
    private readonly totalSeconds: number,
    private readonly onProgress: (p: SoakProgress) => void,
  ) {
    this.gctrace = new GoGcTraceReader(
      (c, arrivedMs) => {
        if (!this.gcGuard.accept(c, arrivedMs)) return;
        this.goCycles++;
        const e = goCycleEvent(c, this.previousLive, arrivedMs, this.soakStart);
        this.previousLive = c.heapLiveBytes;
        // Cycles before the soak's clock started only seed the next cycle's allocation.
        if (this.soakStart === 0) return;
        this.gcEvents.push(e);
        dir.appendJson('gc.ndjson', e);
        this.onGc?.(e);
      },
      () => {},
    );
  }

  /** The target's stderr, as it arrives. */
  stderr(chunk: Buffer): void {
    this.gctrace.push(chunk);
  }

  start(wallMs: number): void {
    this.soakStart = wallMs;
    this.fleetMeter.reset(wallMs);
  }

  /** No frame for `ms`: the target stopped answering its metrics (frozen, gone or swamped). */
  silentFor(ms: number): boolean {
    return Date.now() - Math.max(this.lastFrameAtMs, this.soakStart) > ms;
  }

  /** The live heap gctrace last reported inside the window (Go's "->live MB"), for what GC adds onto RAM. */
  liveHeap(windowEndMs: number): number | null {
    const inWindow = this.gcEvents.filter((e) => e.wallMs < windowEndMs && e.heapLiveBytes !== undefined);
    return inWindow.at(-1)?.heapLiveBytes ?? null;
  }

  record(s: TargetSecond): void {
    const seconds = Math.max(1e-3, (s.endMs - s.startMs) / 1000);
    const fleet = this.fleetMeter.next(seconds);
    const t = Math.round(((s.endMs - this.soakStart) / 1000) * 1000) / 1000;
    const mid = t - seconds / 2;
    const f: Frame = { t, warmup: mid < this.warmupSeconds, ...s, fleet };
    this.lastFrameAtMs = Date.now();
    this.frames.push(f);
    this.dir.appendJson('frames.ndjson', f);
    this.onProgress({ elapsedSeconds: f.t, totalSeconds: this.totalSeconds, warmup: f.warmup, frame: f });
  }

  close(): void {
    this.gctrace.end();
  }
}
