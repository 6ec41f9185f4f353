import * as hdr from 'hdr-histogram-js';
import type { Frame, TimedGcEvent } from '../../src/protocol/frame.js';
import type { RunMeta } from '../../src/analysis/summarize.js';

/** Synthetic soak records for the analysis and live-metrics tests: one frame a second from T0. */
export const T0 = 1_700_000_000_000;

export function frame(i: number, samples: number, over: Partial<Frame> = {}): Frame {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  h.recordValue(2000 + i); // µs
  const enc = hdr.encodeIntoCompressedBase64(h);
  h.destroy();
  return {
    t: i + 1,
    startMs: T0 + i * 1000,
    endMs: T0 + (i + 1) * 1000,
    warmup: i < 2,
    samples,
    scrapesOk: 10,
    scrapesFailed: 0,
    seriesAdded: 0,
    series: 2000,
    headBytes: 1e6,
    scrapeMs: { count: 1, p50: 2, p99: 2, max: 2 },
    scrapeHistogram: enc,
    cpu: { total: 0.5, user: 0.4, system: 0.1, main: 0.4, v8Platform: 0.1, worker: 0, other: 0 },
    gcObserved: { count: 0, pauseMs: 0, byKind: {} },
    heap: { usedBytes: 30e6, totalBytes: 40e6, externalBytes: 1e6, arrayBuffersBytes: 1e5, rssBytes: 100e6 + i },
    eventLoop: { delayP50Ms: 1, delayP99Ms: 5, delayMaxMs: 6, utilization: 0.3 },
    fleet: { cpuCores: 0.2, queued: 0, scrapesServed: 10 },
    agentMs: 0.5,
    ...over,
  };
}

export function gc(i: number, kind: TimedGcEvent['kind'], pauseMs: number, allocatedBytes: number, backgroundMs = 0): TimedGcEvent {
  // The heap is back at 30 MB after each GC, as in the frames: the window's edges need no correction.
  return { wallMs: T0 + i * 1000 + 500, t: i + 0.5, isolate: '0x1', main: true, kind, pauseMs, incrementalMs: 0, backgroundMs, allocatedBytes, promotedBytes: 0, sizeBeforeBytes: 30e6 + allocatedBytes, sizeAfterBytes: 30e6 };
}

export const meta: RunMeta = {
  version: '0.0.0', profile: 'synthetic', ingester: 'cached', startedAt: new Date(T0).toISOString(), warmupSeconds: 2, cores: null, v8Flags: [],
  node: process.version, machine: 'test', stopReason: 'completed', exporters: 100, seriesPerExporter: 100, intervalSeconds: 1, fleetCores: 1, fleetShared: true, liveHeapBytes: 25e6, files: [],
};
