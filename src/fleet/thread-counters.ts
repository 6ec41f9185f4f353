/**
 * The fleet's counts, kept by every serving thread in its own slot of one SharedArrayBuffer:
 * each slot is written by one thread only (plain stores, nothing sent per scrape) and read
 * by the main thread for /stats and /metrics. Slot 0 is the main thread's own port.
 */
export const enum C {
  Scrapes = 0,
  Bytes,
  RenderNs,
  Errors,
  NotFound,
  /** Scrapes rendered into a pooled body buffer (no allocation). */
  Reused,
  Faults,
  /** Connections cut by a bound (unread response, unfinished head). */
  Cut,
  /** Connections open now. */
  Open,
  /** Connections refused at the per-thread bound (server.maxConnections). */
  Refused,
  /** The thread's own CPU (utime + stime of /proc/thread-self/stat), seconds. */
  CpuSeconds,
  /** The thread's event loop: active and idle time since it started, ms (performance.eventLoopUtilization). */
  EluActiveMs,
  EluIdleMs,
  /** The thread's kernel thread id, its Node threadId (worker_threads), and the port it serves. */
  Tid,
  ThreadId,
  Port,
  Size,
}

export class SlotCounters {
  readonly f: Float64Array;
  constructor(
    shared: SharedArrayBuffer,
    readonly slot: number,
  ) {
    this.f = new Float64Array(shared, slot * C.Size * 8, C.Size);
  }
}

export function sharedCounters(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * C.Size * 8);
}

/** The sum of one count over every slot. */
export function total(shared: SharedArrayBuffer, c: C): number {
  const f = new Float64Array(shared);
  let sum = 0;
  for (let i = c; i < f.length; i += C.Size) sum += f[i]!;
  return sum;
}

/** One slot's counts. */
export function slotValue(shared: SharedArrayBuffer, slot: number, c: C): number {
  return new Float64Array(shared)[slot * C.Size + c]!;
}
