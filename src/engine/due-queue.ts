/**
 * When each scrape loop is due next, behind one timer: a binary min-heap of loop indexes on
 * typed arrays, keyed by `at` (performance.now() ms). The timer is armed for the earliest; when
 * it fires, every loop due within TOLERANCE_MS is handed to `fire` in order of time, and the
 * timer is armed again.
 *
 * Why not a setTimeout per loop: at 5000 targets that was 5000 Timeout objects, their
 * closures and Node's per-duration timer lists alive on the heap for every mark-compact to
 * trace (see docs/heap.md), for what one heap of ints does. Per wake-up it allocates one
 * Timeout, as each loop's own re-arm did per scrape.
 */
import type { LatenessSink } from '../protocol/engine-channels.js';

/**
 * A wake-up also fires the loops due in the next 4 ms: at 1000 targets every 5 s (200 scrapes a
 * second, 5 ms apart on average) that merges wake-ups, each of which costs the engine a sleep
 * and a wake of its thread (22 % of its CPU in `perf` at 40k samples/s). Side by side on one
 * fleet, both engines pinned to one core, 4 ms against 1 ms: −8 to −17 % engine CPU over 4 rounds,
 * −6 % over 3 more with the two swapped. A loop's schedule stays absolute (the next is at its due
 * time + the interval, not the time it fired), so firing up to 4 ms early shifts no phase;
 * Prometheus's own scrape timers are no closer than that.
 */
const TOLERANCE_MS = 4;

export class DueQueue {
  /** Per loop: when it is due (performance.now() ms); valid while it is queued. Replaced (not changed in place) by grow(). */
  at: Float64Array;
  private heap: Int32Array;
  /** Per loop: the wake-up it was queued in (a loop fire() queues again is not fired early in the same one). */
  private queuedIn: Uint32Array;
  private wakes = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  /** What the armed timer was set for (Infinity: none). */
  private armedFor = Infinity;
  private stopped = false;
  /** onTimer is handing loops out: schedule() leaves the timer to it (no Timeout per loop fired). */
  private firing = false;

  constructor(
    loops: number,
    /** Loop i is due (it is out of the queue: schedule() puts it back). */
    private readonly fire: (i: number, now: number) => void,
    /** Where each wake-up's lateness goes (µs past what the timer was armed for): the agent's event-loop delay. */
    private readonly lateness?: LatenessSink,
  ) {
    this.at = new Float64Array(loops);
    this.heap = new Int32Array(loops);
    this.queuedIn = new Uint32Array(loops);
  }

  /** Queues loop i (not queued) for time `at`, arming the timer if it is the earliest. */
  schedule(i: number, at: number): void {
    this.at[i] = at;
    this.queuedIn[i] = this.wakes;
    let k = this.size++;
    const heap = this.heap;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (this.at[heap[parent]!]! <= at) break;
      heap[k] = heap[parent]!;
      k = parent;
    }
    heap[k] = i;
    if (at < this.armedFor && !this.firing) this.arm();
  }

  /** Room for `loops` loops (the engine retargeted to more than it had): the columns copied into longer ones. */
  grow(loops: number): void {
    if (loops <= this.at.length) return;
    const at = new Float64Array(loops);
    at.set(this.at);
    const heap = new Int32Array(loops);
    heap.set(this.heap);
    const queuedIn = new Uint32Array(loops);
    queuedIn.set(this.queuedIn);
    this.at = at;
    this.heap = heap;
    this.queuedIn = queuedIn;
  }

  /** No loop fires after this. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    const now = performance.now();
    // Node may fire up to its cached loop time early: early counts as on time (1 µs, the floor).
    if (this.lateness !== undefined) this.lateness.wake(Math.max(1, Math.round((now - this.armedFor) * 1e3)));
    this.timer = undefined;
    this.armedFor = Infinity;
    this.firing = true;
    this.wakes = (this.wakes + 1) >>> 0;
    try {
      while (!this.stopped && this.size > 0) {
        const top = this.heap[0]!;
        const at = this.at[top]!;
        if (at > now + TOLERANCE_MS) break;
        // Queued again by this wake-up's fire() (an interval shorter than the tolerance plus the
        // lateness): the next wake-up's, due or not, or it would be scraped twice in one (a
        // wake-up more than the interval late, on a loaded CI machine, fired a 2 ms loop twice).
        if (this.queuedIn[top] === this.wakes) break;
        this.fire(this.pop(), now);
      }
    } finally {
      this.firing = false;
    }
    if (this.size > 0) this.arm();
  };

  private arm(): void {
    if (this.stopped) return;
    const at = this.at[this.heap[0]!]!;
    clearTimeout(this.timer);
    this.armedFor = at;
    // Whole milliseconds, rounded up: Node truncates a timer's delay and counts it from the
    // loop's cached time, so a fractional delay woke the loop before the loop was due and again
    // 1 ms later (two wake-ups a scrape); whole delays also let Node reuse its per-duration list.
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - performance.now())));
  }

  private pop(): number {
    const heap = this.heap;
    const at = this.at;
    const top = heap[0]!;
    const last = heap[--this.size]!;
    const t = at[last]!;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && at[heap[c + 1]!]! < at[heap[c]!]!) c++;
      if (at[heap[c]!]! >= t) break;
      heap[k] = heap[c]!;
      k = c;
    }
    heap[k] = last;
    return top;
  }
}
