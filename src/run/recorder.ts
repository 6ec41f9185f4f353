import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { FromAgent } from '../protocol/agent.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import { GcTraceReader } from '../telemetry/gc-trace.js';
import { GcClock, toFrame } from './frames.js';
import type { FleetFrameMeter } from './fleet-meter.js';
import type { HeapDiagnostics } from './heap-diagnostics.js';
import type { RunDir } from './run-dir.js';
import type { LiveMemory } from '../analysis/ram.js';

export interface SoakProgress {
  elapsedSeconds: number;
  totalSeconds: number;
  warmup: boolean;
  frame: Frame;
  /** The frame's samples/s against the engine's scrape schedule, as the summary reads it (null: not due anything; absent: no schedule). */
  scheduledRate?: number | null;
}

/**
 * Records what the engine child reports while a soak runs: the agent's frames (with the
 * fleet's CPU of the same second) into frames.ndjson, V8's GC trace on its stdout into
 * gc.ndjson, its stderr into engine.stderr.log. Nothing is recorded before the soak's clock
 * starts (`start`), when the engine is scraping.
 */
export class SoakRecorder {
  readonly frames: Frame[] = [];
  readonly gcEvents: TimedGcEvent[] = [];
  /** Heap snapshots and the allocation profile see the agent's messages too. */
  heap: HeapDiagnostics | undefined;
  /** Told each GC event as it is recorded (the live metrics). */
  onGc: ((e: TimedGcEvent) => void) | undefined;
  private readonly clock = new GcClock();
  private readonly trace: GcTraceReader;
  private readonly stderrLog: WriteStream;
  private stderrTail = '';
  private liveHeapWaiter: ((live: LiveMemory) => void) | undefined;
  private lastFrameAtMs = 0;

  constructor(
    private readonly dir: RunDir,
    private readonly fleetMeter: FleetFrameMeter,
    private readonly warmupSeconds: number,
    private readonly totalSeconds: number,
    private readonly onProgress: (p: SoakProgress) => void,
  ) {
    this.stderrLog = createWriteStream(dir.file('engine.stderr.log'));
    // A full disk stops the soak (RunDir.writeFailed), never an 'error' event nobody listens to.
    this.stderrLog.on('error', (e) => void dir.writeFailed('engine.stderr.log', e));
    this.trace = new GcTraceReader(
      (e, arrivedMs) => {
        const t = this.clock.place(e, arrivedMs);
        this.gcEvents.push(t);
        dir.appendJson('gc.ndjson', t);
        this.onGc?.(t);
      },
      (line) => this.stderrLog.write(`[stdout] ${line}\n`),
    );
  }

  /** Listens to a just-forked engine child (before it is ready); its frame pipe goes to onAgent. */
  attach(child: ChildProcess): void {
    child.on('message', (m) => this.onAgent(m as FromAgent));
    child.stdout!.on('data', (d: Buffer) => this.trace.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrLog.write(d);
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
  }

  /** The soak's clock starts: frames and GC events are timed from here. */
  start(wallMs: number): void {
    this.clock.soakStart = wallMs;
    this.fleetMeter.reset(wallMs);
  }

  get soakStart(): number {
    return this.clock.soakStart;
  }

  /** No frame has arrived for `ms` (the engine is frozen, blocked or cut off). */
  silentFor(ms: number): boolean {
    return Date.now() - Math.max(this.lastFrameAtMs, this.clock.soakStart) > ms;
  }

  /** The engine's last stderr line (why it did not start), if any. */
  lastStderrLine(): string | undefined {
    return this.stderrTail.trim().split('\n').filter(Boolean).at(-1);
  }

  stderrTailText(): string {
    if (this.stderrTail) return this.stderrTail;
    try {
      return readFileSync(this.dir.file('engine.stderr.log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /** Asks the agent for the live heap after a full GC; null when it does not answer within `timeoutMs`. */
  liveHeap(child: ChildProcess, timeoutMs = 5000): Promise<LiveMemory | null> {
    return Promise.race([
      new Promise<LiveMemory>((r) => {
        this.liveHeapWaiter = r;
        child.send({ type: 'telemetry-gc' });
      }),
      new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref()),
    ]);
  }

  /** Flushes the trace's last line and closes the stderr log. */
  async close(): Promise<void> {
    this.trace.end();
    if (this.stderrLog.destroyed) return;
    await new Promise<void>((r) => this.stderrLog.end(() => r()));
  }

  /** An agent message: from its frame pipe (hello, frames) or, for the rest, IPC. */
  onAgent(m: FromAgent): void {
    this.heap?.onAgent(m);
    if (m.type === 'telemetry-hello') this.clock.timeOrigin = m.timeOriginMs;
    else if (m.type === 'telemetry-live-heap') this.liveHeapWaiter?.({ heapBytes: m.heapUsedBytes, offHeapBytes: m.externalBytes });
    else if (m.type === 'telemetry' && this.clock.soakStart > 0) {
      const f = toFrame(m.frame, this.clock.soakStart, this.warmupSeconds, this.fleetMeter.next((m.frame.endMs - m.frame.startMs) / 1000));
      if (m.frame.startMs < this.clock.soakStart) return; // began before the engine was scraping
      this.lastFrameAtMs = Date.now();
      this.frames.push(f);
      this.dir.appendJson('frames.ndjson', f);
      this.onProgress({ elapsedSeconds: f.t, totalSeconds: this.totalSeconds, warmup: f.warmup, frame: f });
    }
  }
}
