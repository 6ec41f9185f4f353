import type { Summary } from '../analysis/summary.js';
import { isAbsolute, relative } from 'node:path';
import { visible } from '../common/terminal-text.js';
import { gcHeadroomOfRssPct } from '../analysis/ram.js';

const MiB = 2 ** 20;

/** ` (12 timeout, 3 parse)`, or nothing when no reason is known. */
const reasons = (by: Record<string, number | undefined> | undefined): string => {
  const parts = Object.entries(by ?? {}).map(([r, n]) => `${n} ${r}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
};

/** What collected in a second: V8's kinds, or a Go target's cycles (each a whole-heap concurrent mark). */
const gcKinds = (s: Summary, x: Summary['starvation']['seconds'][number]): string =>
  s.gc.byKind.go ? `${x.gc.count} Go GC cycle${x.gc.count === 1 ? '' : 's'}` : `${x.gc.markCompacts} mark-compact, ${x.gc.scavenges} scavenges`;

/** What the memory line adds up: the live heap and off-heap apart, each named; then RSS's parts. */
function memoryParts(s: Summary): string {
  const m = s.memory;
  const mib = (b: number | null | undefined): string => (b === null || b === undefined ? 'n/a' : `${(b / MiB).toFixed(1)} MiB`);
  const live = `live heap ${mib(m.liveHeapBytes)}` + (m.liveOffHeapBytes != null ? ` + off-heap ${mib(m.liveOffHeapBytes)} (external: the head's arrays) after a full GC` : '');
  const r = m.ram;
  if (!r || r.liveHeapBytes === null) return live;
  return `${live}; peak RSS = live heap ${mib(r.liveHeapBytes)} + GC headroom ${mib(r.gcHeadroomBytes)} + off-heap ${mib(r.offHeapBytes)} + runtime and the rest ${mib(r.runtimeAndRestBytes)}${r.partsOverRssBytes ? ` (the parts exceed peak RSS by ${mib(r.partsOverRssBytes)})` : ''}`;
}

/** `, GC explains 8 of 1000 ms lost` (runs before schemaVersion 3 did not keep it: nothing). */
const explained = (x: Summary['starvation']['seconds'][number]): string =>
  x.lostMs === undefined || x.gc.explainedMs === undefined ? '' : `, GC explains ${Math.round(x.gc.explainedMs)} of ${Math.round(x.lostMs)} ms lost`;

/** The summary for a terminal: the verdict in words, then the numbers behind it. */
export function renderTerminal(s: Summary, dir: string): string {
  const lines: string[] = [];
  const sut = s.run.target && s.run.target.kind !== 'builtin' ? `target ${visible(s.run.ingester)}${s.run.target.version ? ` (${visible(s.run.target.version)})` : ''}` : `ingester ${visible(s.run.ingester)}`;
  lines.push(`promsoak run: ${visible(s.run.profile)}, ${sut}, ${s.run.measuredSeconds} s measured${s.run.missingSeconds ? ` (${s.run.missingSeconds} s of them without a frame)` : ''} after ${s.run.warmupSeconds} s warm-up` +
    `${s.run.cores ? `, ${s.run.target && s.run.target.kind !== 'builtin' ? 'target' : 'engine'} on CPUs ${s.run.cores}` : ''}${s.run.v8Flags.length ? `, V8 ${s.run.v8Flags.join(' ')}` : ''} (${s.run.stopReason})`);
  lines.push('');
  for (const v of s.verdict) lines.push(`  • ${visible(v, { keepNewlines: true })}`);
  for (const l of s.run.target?.logs ?? []) {
    if (l.droppedBytes > 0) lines.push(`  • ${l.file} capped at ${mib(l.limitBytes)} MiB, ${mib(l.droppedBytes)} MiB dropped (--target-log-limit)`);
  }
  lines.push('');
  const rows: [string, string][] = [
    ['samples/s', `mean ${s.samplesPerSecond.mean}  CV ${s.samplesPerSecond.cv ?? 'n/a'}  min ${s.samplesPerSecond.min}  median ${s.samplesPerSecond.median}  offered ${s.samplesPerSecond.expected}`],
    ['bytes/sample', s.bytesPerSample === null ? 'n/a' : `${s.bytesPerSample}  (${(s.allocation.bytesPerSecond / 1e6).toFixed(1)} MB/s allocated)`],
    ['CPU (cores)', `avg ${s.cpu.avgCores}  p99 ${s.cpu.peakCores}  peak/avg ${s.cpu.peakOverAvg}  ${s.cpu.usPerSample ?? 'n/a'} µs/sample`],
    ['  by thread', s.cpu.byClass.main === null ? 'n/a (the target does not name its threads)' : `main ${s.cpu.byClass.main}  V8 platform ${s.cpu.byClass.v8Platform ?? 'n/a'}  workers ${s.cpu.byClass.worker ?? 'n/a'}  other ${s.cpu.byClass.other ?? 'n/a'}`],
    ['GC', `${s.gc.cpuShare === null ? 'n/a' : (s.gc.cpuShare * 100).toFixed(1) + ' % of CPU'}  ${s.gc.count} GCs  ${s.gc.pauseMs.toFixed(1)} ms paused  max ${s.gc.maxPauseMs} ms  ${s.gc.backgroundMs.toFixed(1)} ms background CPU${s.gc.backgroundJobMs !== undefined ? ` (${s.gc.backgroundJobMs.toFixed(1)} ms of jobs)` : ''}`],
    ...Object.entries(s.gc.byKind).map(([k, v]): [string, string] => [`  ${k}`, `${v!.count} × , ${v!.pauseMs.toFixed(1)} ms, max ${v!.maxPauseMs} ms`]),
    ...(s.eventLoopDelayMs ? [['event-loop delay', `p50 ${s.eventLoopDelayMs.p50} ms  p99 ${s.eventLoopDelayMs.p99} ms  max ${s.eventLoopDelayMs.max} ms  (utilisation ${s.eventLoopUtilization ?? 'n/a'})`] as [string, string]] : []),
    ['starvation', `${s.starvation.windows} s starved, ${s.starvation.withGc} with GC${s.starvation.lostSeconds !== undefined ? ` (GC explains ${s.starvation.gcExplainedSeconds ?? 0} of ${s.starvation.lostSeconds} s lost)` : ''}; r(GC time, deficit) ${s.starvation.correlation.gcTime ?? 'n/a'}  r(allocation, deficit) ${s.starvation.correlation.allocation ?? 'n/a'}`],
    ['memory', `peak RSS ${(s.memory.peakRssBytes / MiB).toFixed(1)} MiB  ${memoryParts(s)}  ${s.memory.series ?? 'n/a'} series`],
    ['provisioning', `${s.provisioning.coresNeeded} cores, ${(s.provisioning.ramNeededBytes / MiB).toFixed(0)} MiB RAM; GC adds ${s.provisioning.gcCoreOverheadPct ?? 'n/a'} % onto cores, ${s.provisioning.gcRamOverheadPct ?? 'n/a'} % onto RAM${headroomWords(s)}`],
    ['scrapes', `${s.scrapes.ok ?? 'n/a'} ok  ${s.scrapes.failed ?? 'n/a'} failed${reasons(s.scrapes.failedByReason)}${s.scrapes.durationMs ? `  p50 ${s.scrapes.durationMs.p50} ms  p99 ${s.scrapes.durationMs.p99} ms` : ''}`],
    ...(s.telemetry.agentMsPerSecond === null ? [] : [['telemetry', `the agent took ${s.telemetry.agentMsPerSecond} ms/s of the engine's main thread (${s.telemetry.agentCpuShare === null ? 'n/a' : (s.telemetry.agentCpuShare * 100).toFixed(2) + ' % of its CPU'})`] as [string, string]]),
    ['fleet', `${s.fleet.cpuCores} cores avg, ${s.fleet.peakCpuCores} p99 of ${s.fleet.cores}${s.fleet.saturated ? '  SATURATED' : ''}${s.fleet.shards ? `  (${s.fleet.shards.length} shards, offered ${s.fleet.offeredSamplesPerSecond} samples/s)` : ''}`],
    ...(s.fleet.shards ?? []).map((x): [string, string] => [
      `  shard ${x.shard}`,
      `${x.cpuCores ?? 'n/a'} cores avg, ${x.peakCpuCores ?? 'n/a'} p99 of ${x.cores}  ${x.exporters} exporters  ${x.url}${x.saturated ? '  SATURATED' : ''}` +
        (x.downSeconds > 0 ? `  DOWN ${x.downSeconds} s from t=${x.downAtT?.toFixed(1)} s (${x.downReason})` : ''),
    ]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(w)}  ${v}`);
  if (s.starvation.seconds.length) {
    lines.push('');
    lines.push('  starved seconds (t: samples/s, below median, GC in that second, what GC explains of what it lost):');
    for (const x of s.starvation.seconds.slice(0, 12)) {
      if (x.noFrame) {
        lines.push(`    t=${String(x.t).padStart(4)}s  no frame: the ${s.run.target && s.run.target.kind !== 'builtin' ? 'target\'s metrics did not answer' : 'engine was silent'}  ${gcKinds(s, x)}, ${x.gc.pauseMs} ms paused${explained(x)}${x.withGc ? '' : '  (not GC)'}`);
        continue;
      }
      lines.push(`    t=${String(x.t).padStart(4)}s  ${String(x.samples).padStart(7)}/s  -${x.deficitPct}%  ` +
        `${gcKinds(s, x)}, ${x.gc.pauseMs} ms paused, ${x.gc.backgroundMs} ms background, ${(x.gc.allocatedBytes / 1e6).toFixed(1)} MB allocated${explained(x)}${x.withGc ? '' : '  (not GC)'}`);
    }
    if (s.starvation.seconds.length > 12) lines.push(`    … ${s.starvation.seconds.length - 12} more in summary.json`);
  }
  if (s.heapSnapshots?.length) {
    lines.push('');
    lines.push('  heap snapshots (promsoak heap summary|diff FILE):');
    for (const h of s.heapSnapshots) {
      lines.push(`    ${h.file}  ${h.trigger === 'at' ? 'scheduled' : h.trigger}${h.workerThreadId !== undefined ? ` worker ${h.workerThreadId}` : ''} at t=${h.t}s  ${(h.bytes / 1e6).toFixed(1)} MB${h.writeMs !== null ? `  engine stopped ${h.writeMs} ms` : ''}`);
    }
  }
  if (s.allocProfile) {
    const a = s.allocProfile;
    lines.push('');
    lines.push(`  allocation profile: ${a.heapprofile}, ${a.pprof}  ${(a.allocatedBytes / 1e6).toFixed(1)} MB in ${a.seconds} s (promsoak profile top ${a.pprof}); top allocating functions, self:`);
    for (const x of a.top.slice(0, 5)) {
      lines.push(`    ${((x.selfBytes / Math.max(1, a.allocatedBytes)) * 100).toFixed(1).padStart(5)} %  ${(x.selfBytes / 1e6).toFixed(2).padStart(7)} MB  ${x.function}${x.file ? `  ${x.file.split('/').slice(-2).join('/')}:${x.line}` : ''}`);
    }
  }
  if (s.thresholds.length) {
    lines.push('');
    for (const t of s.thresholds) lines.push(`  threshold ${t.expression}: ${t.ok ? 'ok' : 'FAILED'} (actual ${t.actual ?? 'n/a'})`);
  }
  lines.push('');
  lines.push(`  run directory: ${visible(shortPath(dir))}  (report.html, summary.json, frames.ndjson, gc.ndjson)`);
  return lines.join('\n');
}

/**
 * The spinner's live line. Its samples/s is the second read against the engine's scrape schedule
 * (`scheduledRate`, analysis/schedule.ts), the number the summary averages; where there is none
 * (a --target soak, a second due nothing) the raw count over the second, labelled "raw". "heap
 * used" is V8's heap as it is, garbage included, not the summary's live heap.
 */
export function liveLine(p: { elapsedSeconds: number; totalSeconds: number; warmup: boolean; frame: import('../protocol/frame.js').Frame; scheduledRate?: number | null }): string {
  const f = p.frame;
  const secs = (f.endMs - f.startMs) / 1000;
  const rate = p.scheduledRate != null ? `${Math.round(p.scheduledRate).toLocaleString('en-US')} samples/s` : `${Math.round(f.samples / secs).toLocaleString('en-US')} samples/s raw`;
  const gc = f.gcObserved === null ? 'n/a' : `${(f.cpu.total > 0 ? (f.gcObserved.pauseMs / 1000 / secs / f.cpu.total) * 100 : 0).toFixed(1)} %`;
  return (
    `${Math.round(p.elapsedSeconds)}/${p.totalSeconds} s${p.warmup ? ' (warm-up)' : ''}  ` +
    `${rate}  engine CPU ${f.cpu.total.toFixed(2)} cores  ` +
    `GC ${gc}  heap used ${f.heap.usedBytes === null ? 'n/a' : (f.heap.usedBytes / MiB).toFixed(0)} MiB  RSS ${(f.heap.rssBytes / MiB).toFixed(0)} MiB  fleet ${f.fleet.cpuCores.toFixed(2)} cores`
  );
}

/** Bytes in MiB, to a tenth (at least 0.1 when there are any). */
function mib(bytes: number): string {
  const x = bytes / 1048576;
  return x > 0 && x < 0.1 ? '0.1' : String(Math.round(x * 10) / 10);
}

/** " (8.1 MiB, 2.4 % of peak RSS)": how big GC's headroom is against the RAM provisioned; '' when unknown. */
function headroomWords(s: Summary): string {
  const r = s.memory.ram;
  const share = r ? gcHeadroomOfRssPct(r) : null;
  return r && r.gcHeadroomBytes !== null && share !== null ? ` (${(r.gcHeadroomBytes / MiB).toFixed(1)} MiB, ${share} % of peak RSS)` : '';
}

/** A path under the working directory as relative to it (runs/…), any other as it is. */
function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
