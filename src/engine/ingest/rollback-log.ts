import type { OwnRing } from './own-ring.js';
import { CHUNK_MASK, CHUNK_SHIFT, clearSlots } from './head-chunks.js';
import { grow } from './typed-arrays.js';

/**
 * The scrape that Head.rollbackScrape() would undo (Prometheus's Appender.Rollback, for a scrape
 * that failed half-way): Head.beginScrape() begins it, Head.discard() of each series the scrape
 * may have appended to and Head.rollbackScrape() undo it, Head.endScrape() keeps it.
 *
 * This costs a good scrape two calls and one comparison per sample (Head.put(): the slot's
 * sequence number against `seq`): a slot the scrape opened stays open but holds none of its
 * samples (the target's window then holds one scrape fewer, as after a scrape that found none of
 * its series), and only what cannot be told from the slot numbers is logged here: a sample
 * written into a slot opened before the scrape (equal timestamps), and a series with its own
 * timestamps (own-ring.ts). The log is refs in an Int32Array that only grows: nothing per sample
 * or per scrape is allocated.
 */
export class RollbackLog {
  /** The scrape's target ring (Head's target id + 1; -1: no scrape). */
  ring = -1;
  /** Its ring's slot count at begin(): slots from it on were opened by the scrape (0: no scrape). */
  seq = 0;
  /** Numbers scrapes, for own rings (never 0: 0 is no scrape). */
  stamp = 0;
  /** Refs the scrape wrote into slot seq - 1 (opened before it), or appended to with their own timestamps. */
  private refs = new Int32Array(64);
  private top = 0;

  /** A scrape of ring begins, `seq` slots opened in it so far. O(1). */
  begin(ring: number, seq: number): void {
    this.ring = ring;
    this.seq = seq;
    this.stamp = (this.stamp + 1) >>> 0 || 1;
    this.top = 0;
  }

  /** No scrape to undo any more (it succeeded, or has been undone). O(1). */
  end(): void {
    this.ring = -1;
    this.seq = 0;
    this.top = 0;
  }

  /**
   * Undoes the scrape (after Head.discard() of its series) and ends it: the samples logged by
   * written() out of their slot (the head's chunks' presence bits), own-timestamp series back to
   * the cursor and count the scrape found (`own`, `ownRings`: the head's).
   */
  undo(present: readonly Uint32Array[], own: Uint8Array, ownRings: ReadonlyMap<number, OwnRing>, window: number): void {
    const idx = (this.seq + window - 1) % window;
    for (let i = 0; i < this.top; i++) {
      const ref = this.refs[i]!;
      const ownRing = own[ref] !== 0 ? ownRings.get(ref) : undefined;
      if (ownRing !== undefined) ownRing.rollback(this.stamp);
      else clearSlots(present[ref >>> CHUNK_SHIFT]!, ref & CHUNK_MASK, idx, idx + 1);
    }
    this.end();
  }

  /** Head.put() wrote ref's sample, of ring g, into a slot numbered below seq (rare: equal timestamps). */
  written(ref: number, g: number): void {
    if (g === this.ring) this.add(ref);
  }

  /** ref, of ring g, appends to its own ring: logged the first time in the scrape. */
  appendOwn(ref: number, g: number, own: OwnRing): void {
    if (g === this.ring && own.enter(this.stamp)) this.add(ref);
  }

  /**
   * ref moved to its own ring during the scrape, holding `before` samples from slots opened before
   * the scrape: the ring remembers the rest as the scrape's (a sample logged by written() is the
   * scrape's too, though its slot is older).
   */
  movedOwn(ref: number, own: OwnRing, before: number): void {
    let kept = before;
    for (let i = 0; i < this.top; i++) if (this.refs[i] === ref) kept--;
    own.enter(this.stamp, kept);
    this.add(ref);
  }

  private add(ref: number): void {
    if (this.top === this.refs.length) this.refs = grow(this.refs, new Int32Array(this.refs.length * 2));
    this.refs[this.top++] = ref;
  }
}
