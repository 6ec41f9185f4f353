import * as hdr from 'hdr-histogram-js';
import { SCRAPE_HISTOGRAM } from '../common/defaults.js';
import type { AgentFrame } from '../protocol/agent.js';
import type { Frame, GcEvent, TimedGcEvent } from '../protocol/frame.js';

/**
 * Turning what the engine child reports into the run directory's records: the agent's frames
 * into frames.ndjson's (soak time, warm-up, scrape-duration histogram, the fleet's CPU), and
 * V8's GC trace lines into gc.ndjson's events on the wall clock.
 */

/** An agent frame as the soak records it. */
export function toFrame(a: AgentFrame, soakStart: number, warmup: number, fleet: Frame['fleet']): Frame {
  const t = Math.round(((a.endMs - soakStart) / 1000) * 1000) / 1000;
  // A second belongs to the warm-up when most of it lies there.
  const mid = t - (a.endMs - a.startMs) / 2000;
  const { scrapeDurationsUs, ...rest } = a;
  return { t, warmup: mid < warmup, ...rest, ...scrapeHistogram(scrapeDurationsUs), fleet };
}

/** The second's scrape durations as percentiles and an encoded hdr histogram (for exact merging). */
function scrapeHistogram(us: Uint32Array): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> {
  const h = hdr.build(SCRAPE_HISTOGRAM);
  for (const v of us) h.recordValue(v);
  const r = scrapeFigures(h);
  h.destroy();
  return r;
}

/** A second's scrape durations (a SCRAPE_HISTOGRAM, µs) as a frame carries them; none recorded: a count of 0 and no histogram. */
export function scrapeFigures(h: hdr.Histogram): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> {
  if (h.totalCount === 0) return { scrapeMs: { count: 0, p50: 0, p99: 0, max: 0 }, scrapeHistogram: '' };
  return {
    scrapeMs: { count: h.totalCount, p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 },
    scrapeHistogram: hdr.encodeIntoCompressedBase64(h),
  };
}

/**
 * Places GC trace events on the wall clock. The main isolate's clock starts with the process
 * (the agent says when: performance.timeOrigin); worker isolates have their own clocks, so
 * their events are placed by when their line arrived.
 */
export class GcClock {
  /** The engine's performance.timeOrigin, from the agent's hello (0 until then). */
  timeOrigin = 0;
  /** Wall ms when the soak's clock started (0 until the engine is scraping). */
  soakStart = 0;
  private mainIsolate: string | undefined;

  place(e: GcEvent, arrivedMs: number): TimedGcEvent {
    this.mainIsolate ??= e.isolate;
    const main = e.isolate === this.mainIsolate;
    const wallMs = main && this.timeOrigin > 0 ? this.timeOrigin + e.isolateMs : arrivedMs;
    const { pid: _pid, isolateMs: _ms, mutatorMs: _mutator, reduceMemory: _reduce, ...kept } = e;
    return { wallMs, t: this.soakStart > 0 ? (wallMs - this.soakStart) / 1000 : 0, main, ...kept };
  }
}
