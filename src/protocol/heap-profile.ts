/**
 * V8's sampling heap profile as the agent writes it (`.heapprofile`, the file Chrome DevTools'
 * Memory tab loads), with promsoak's additions; read by src/heap/ (alloc-profile.ts, pprof.ts).
 */
export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based, the function's first line. */
  lineNumber: number;
  columnNumber: number;
}

export interface HeapProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: HeapProfileNode[];
}

export interface HeapProfile {
  head: HeapProfileNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
  /** promsoak's addition (DevTools ignores it): the sampler's mean interval in bytes. */
  samplingInterval?: number;
  /** promsoak's addition: when sampling started and how long it ran (ms since the epoch, ms). */
  startTime?: number;
  durationMs?: number;
}
