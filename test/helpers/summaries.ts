import type { Summary } from '../../src/analysis/summary.js';

/** A smoke run's summary.json (a real one, its lists emptied): the template of the synthetic runs the compare tests set against each other. */
const TEMPLATE: Summary = {
  "schemaVersion": 3,
  "tool": {
    "name": "promsoak",
    "version": "0.1.0"
  },
  "run": {
    "profile": "smoke",
    "ingester": "cached",
    "startedAt": "2026-12-07T00:00:00.000Z",
    "measuredSeconds": 2,
    "warmupSeconds": 1,
    "cores": null,
    "v8Flags": [],
    "target": {
      "kind": "builtin",
      "binary": "/usr/bin/node",
      "version": null,
      "flags": [],
      "env": {},
      "metricsUrl": null,
      "samples": null,
      "pid": null,
      "gcTraced": true
    },
    "node": "v20.20.2",
    "machine": "synthetic",
    "stopReason": "completed",
    "windowStartMs": null,
    "windowEndMs": null,
    "missingSeconds": 0,
    "longestSilenceSeconds": 0
  },
  "load": {
    "exporters": 20,
    "seriesPerExporter": 33,
    "intervalSeconds": 1,
    "expectedSamplesPerSecond": 660
  },
  "samples": 1320,
  "samplesPerSecond": {
    "mean": 660,
    "cv": 0,
    "min": 660,
    "median": 660,
    "expected": 660
  },
  "bytesPerSample": 128.4,
  "allocation": {
    "bytes": 169512,
    "bytesPerSecond": 84756,
    "source": "heap growth over the window (no GC of the main isolate in it)"
  },
  "cpu": {
    "avgCores": 0.029,
    "peakCores": 0.031,
    "peakOverAvg": 1.088,
    "maxCores": 0.031,
    "usPerSample": 43.634,
    "byClass": {
      "main": 0.02,
      "v8Platform": 0.009,
      "worker": 0,
      "other": 0
    }
  },
  "gc": {
    "cpuShare": 0,
    "count": 0,
    "pauseMs": 0,
    "incrementalMs": 0,
    "backgroundMs": 0,
    "backgroundJobMs": 0,
    "maxPauseMs": 0,
    "byKind": {}
  },
  "eventLoopDelayMs": {
    "p50": 1.35,
    "p99": 10.98,
    "max": 11.03
  },
  "eventLoopUtilization": 0.0298,
  "memory": {
    "peakRssBytes": 64610304,
    "peakHeapUsedBytes": 9518736,
    "liveHeapBytes": 7090368,
    "liveOffHeapBytes": 4284334,
    "ram": {
      "peakRssBytes": 64610304,
      "liveHeapBytes": 7090368,
      "gcHeadroomBytes": 2428368,
      "offHeapBytes": 4346681,
      "runtimeAndRestBytes": 50744887,
      "partsOverRssBytes": 0,
      "heapPeakBytes": 9518736
    },
    "series": 495,
    "headBytes": 1235008,
    "heapTrend": null
  },
  "starvation": {
    "windows": 0,
    "withGc": 0,
    "lostSeconds": 0,
    "gcExplainedSeconds": 0,
    "criteria": {
      "belowMedianPct": 20,
      "eventLoopDelayMs": 100,
      "gcMsPerSecond": 30,
      "silenceLimitSeconds": 3
    },
    "correlation": {
      "gcTime": null,
      "allocation": null
    },
    "seconds": []
  },
  "provisioning": {
    "coresNeeded": 1,
    "targetUtilization": 0.8,
    "gcCoreOverheadPct": 0,
    "gcRamOverheadPct": 34.2,
    "ramNeededBytes": 64610304
  },
  "scrapes": {
    "ok": 40,
    "failed": 0,
    "failedByReason": {},
    "durationMs": {
      "p50": 0.986,
      "p99": 9.911,
      "max": 9.911
    }
  },
  "fleet": {
    "cpuCores": 0.033,
    "peakCpuCores": 0.038,
    "cores": 2,
    "sharedWithEngine": true,
    "saturated": false,
    "reason": null
  },
  "telemetry": {
    "agentMsPerSecond": 0.765,
    "agentCpuShare": 0.0266
  },
  "verdict": [],
  "thresholds": [],
  "files": []
};

/** A deep copy of the template with figures set by summary.json key (`cpu.usPerSample` …). */
export function syntheticSummary(set: Record<string, number | string | boolean | null> = {}): Summary {
  const s = structuredClone(TEMPLATE);
  for (const [key, value] of Object.entries(set)) {
    const parts = key.split('.');
    let o = s as unknown as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts.at(-1)!] = value;
  }
  return s;
}
