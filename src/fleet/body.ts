import type { Format, Layout } from './render/layout.js';
import { Scratch } from './render/render.js';
import { C } from './thread-counters.js';
import { HEAD_ROOM } from './body-head.js';

/** Bodies kept for reuse per format: enough for the writes in flight at once on one thread. */
const MAX_POOLED = 256;
/**
 * A rendered body and the write that sends it: pooled per format and reused once the socket
 * has taken it, with its callback made once (no closure, no buffer allocated per scrape).
 */
export class Body {
  readonly scratch: Scratch;
  length = 0;
  private pool: Body[] | null = null;
  private counts: Float64Array | null = null;
  constructor(
    readonly format: Format,
    layout: Layout,
  ) {
    this.scratch = new Scratch(layout, undefined, HEAD_ROOM);
  }

  get start(): number {
    return this.scratch.bodyStart;
  }

  /** The write's callback: counted as served, and the buffer back in its pool, only after a clean write. */
  readonly sent = (err?: Error | null): void => {
    const pool = this.pool;
    const counts = this.counts;
    this.pool = this.counts = null;
    if (err || pool === null || counts === null) return;
    counts[C.Scrapes]!++;
    counts[C.Bytes]! += this.length;
    if (pool.length < MAX_POOLED) pool.push(this);
  };

  /** Arms `sent` for one write. */
  arm(pool: Body[], counts: Float64Array): void {
    this.pool = pool;
    this.counts = counts;
  }
}
