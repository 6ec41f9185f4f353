import { mix2 } from '../common/hash.js';
import type { ExporterModel } from '../fleet/render/lines.js';
import { RemoteWriteV1Encoder } from './encode-v1.js';
import { buildPushLayout } from './series-layout.js';
import { RemoteWriteV2Encoder } from './encode-v2.js';
import { BATCH_DEADLINE_MS, GENERATE_SLICE_MS, LATE_MS, type PushOptions } from './push-options.js';
import { P } from './push-counters.js';
import { Sender, type PushEncoder } from './sender.js';

export interface PusherOptions {
  model: ExporterModel;
  /** The exporters this thread pushes. */
  ids: readonly number[];
  push: PushOptions;
  /** Senders of this thread (its share of --senders) and its share of --max-backlog. */
  senders: number;
  maxBacklog: number;
  intervalSeconds: number;
  /** Render time 0, ms since 1970. */
  epochMs: number;
  counts: Float64Array;
  say: (line: string, key: string) => void;
}

/** Longest sleep between looks at the clock: partial batches leave within BATCH_DEADLINE_MS of this. */
const MAX_SLEEP_MS = 100;

/**
 * A serving thread's share of a pushing fleet: each of its exporters produces its samples
 * once per interval at its own phase (as a scrape at that moment would read them), into the
 * batch of the sender it is bound to (exporter → sender fixed, so a series' samples stay in
 * order). A churned series that turns over gets its stale marker under its old epoch first.
 */
export class Pusher {
  private readonly senders: Sender[];
  private readonly order: Int32Array;
  private readonly phaseMs: Float64Array;
  private readonly lastEpoch: Float64Array;
  private readonly churnedLines: Int32Array;
  private readonly intervalMs: number;
  /** The round (interval number since the epoch) and position in `order` generated next. */
  private round = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Exporters with an id below this are pushed (capacity's dial: `offer`); the rest are not generated at all. */
  private offered = Infinity;

  constructor(private readonly o: PusherOptions) {
    const layout = buildPushLayout(o.model);
    const capacity = o.push.batch;
    const perSender = Math.max(o.push.batch, Math.ceil(o.maxBacklog / o.senders));
    this.senders = Array.from({ length: o.senders }, () => {
      // A batch is sealed at `capacity` samples (Sender.room): the encoders throw past it.
      const enc: PushEncoder = o.push.protocol === 2 ? new RemoteWriteV2Encoder(layout, o.model, capacity) : new RemoteWriteV1Encoder(layout, o.model, capacity);
      return new Sender(enc, o.push, o.counts, perSender, o.say);
    });
    this.intervalMs = o.intervalSeconds * 1000;
    const n = o.ids.length;
    this.phaseMs = new Float64Array(n);
    for (let k = 0; k < n; k++) this.phaseMs[k] = ((mix2(o.model.seed ^ 0x2f6b3a1d, o.ids[k]!) % 10_000) / 10_000) * this.intervalMs;
    this.order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => this.phaseMs[a]! - this.phaseMs[b]!);
    this.lastEpoch = new Float64Array(n).fill(-1);
    const churned: number[] = [];
    for (let i = 0; i < layout.lines; i++) if (layout.churned[i] === 1) churned.push(i);
    this.churnedLines = Int32Array.from(churned);
  }

  /**
   * Push only the exporters whose id is below `exporters` from now on (capacity's dial). One
   * switched off is simply not generated (no stale markers for its series: they stop, as a
   * target that went away); one switched back on resumes at its next phase, its churned series
   * that turned over meanwhile marked stale first, as after any gap.
   */
  offer(exporters: number): void {
    this.offered = exporters;
  }

  start(): this {
    const now = Date.now() - this.o.epochMs;
    this.round = Math.floor(now / this.intervalMs);
    // Exporters whose phase in this round has passed start in the next one.
    this.next = 0;
    const into = now - this.round * this.intervalMs;
    while (this.next < this.order.length && this.phaseMs[this.order[this.next]!]! < into) this.next++;
    this.tick();
    return this;
  }

  private tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.stopped) return;
    const nowMs = Date.now();
    const now = nowMs - this.o.epochMs;
    const n = this.order.length;
    const sliceEnd = performance.now() + GENERATE_SLICE_MS;
    let behind = false;
    // Every exporter due by now, in phase order, round after round; at most a slice at a time,
    // so the thread's sockets (its scrapes, its senders' answers) are served between slices.
    for (;;) {
      if (this.next >= n) {
        this.round++;
        this.next = 0;
      }
      if (n === 0) break;
      const k = this.order[this.next]!;
      const due = this.round * this.intervalMs + this.phaseMs[k]!;
      if (due > now) break;
      if (this.o.ids[k]! >= this.offered) {
        this.next++;
        continue;
      }
      if (now - due > this.intervalMs) {
        // Over an interval behind: this round of this exporter is skipped, and counted, rather
        // than generated with a timestamp from the past in a burst that never catches up.
        this.o.counts[P.Skipped]! += this.o.model.lines;
        this.next++;
        continue;
      }
      if (performance.now() >= sliceEnd) {
        behind = true;
        break;
      }
      this.generate(k, due, nowMs);
      this.next++;
    }
    for (const s of this.senders) if (nowMs - s.openSince >= BATCH_DEADLINE_MS) s.seal();
    if (behind) {
      this.immediate = setImmediate(() => this.tick());
      return;
    }
    const nextDue = n === 0 ? Infinity : (this.next >= n ? (this.round + 1) * this.intervalMs + this.phaseMs[this.order[0]!]! : this.round * this.intervalMs + this.phaseMs[this.order[this.next]!]!) - now;
    this.timer = setTimeout(() => this.tick(), Math.max(1, Math.min(MAX_SLEEP_MS, nextDue)));
  }

  /** Exporter k's samples at `dueMs` (ms since the epoch) into its sender's batch. */
  private generate(k: number, dueMs: number, nowMs: number): void {
    const s = this.senders[k % this.senders.length]!;
    const enc = s.encoder;
    const id = this.o.ids[k]!;
    s.markOpened(nowMs);
    const lag = Date.now() - this.o.epochMs - dueMs;
    if (lag > this.o.counts[P.LagMaxMs]!) this.o.counts[P.LagMaxMs] = lag;
    enc.beginExporter(id, dueMs / 1000, this.o.epochMs);
    let made = 0;
    const epoch = enc.currentEpoch;
    const last = this.lastEpoch[k]!;
    if (last >= 0 && last !== epoch) {
      for (let j = 0; j < this.churnedLines.length; j++) {
        s.room();
        enc.appendStale(this.churnedLines[j]!, last);
        made++;
      }
    }
    this.o.counts[P.Stale]! += made;
    this.lastEpoch[k] = epoch;
    const lines = this.o.model.lines;
    for (let i = 0; i < lines; i++) {
      s.room();
      enc.appendLine(i);
    }
    made += lines;
    // Counted after the appends: all of this is synchronous, so no answer is counted before its samples.
    this.o.counts[P.Generated]! += made;
    this.o.counts[P.Backlog]! += made;
    if (lag > LATE_MS) this.o.counts[P.Late]! += made;
  }

  /**
   * Stops generating, sends what is batched, and waits up to `drainMs` for every sender to be
   * acknowledged; what is left then is counted as dropped at stop.
   */
  stop(drainMs: number): Promise<void> {
    return (this.stopping ??= this.drain(drainMs));
  }

  private async drain(drainMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    for (const s of this.senders) s.seal();
    const until = Date.now() + drainMs;
    while (Date.now() < until && this.senders.some((s) => s.pending > 0)) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(this.senders.map((s) => s.close()));
  }
}
