import type { Summary } from './summary.js';
import { shardsVerdict } from './fleet-shards.js';
import { gcHeadroomOfRssPct } from './ram.js';

/** The summary in plain words, one finding per line, the article's way of reading the graphs. */
export function verdict(s: Summary, gcMsPerSecond: number[]): string[] {
  const out: string[] = [];
  const secs = Math.round(s.run.measuredSeconds);
  const sps = s.samplesPerSecond;
  const st = s.starvation;
  const sut = s.run.target && s.run.target.kind !== 'builtin' ? `the target (${s.run.ingester})` : 'the engine';
  if (secs === 0) return ['no second was measured (stopped during warm-up?)'];
  const stalls = s.run.harnessStalls ?? [];
  if (stalls.length > 0) {
    const start = s.run.windowStartMs ?? stalls[0]!.fromMs;
    const at = stalls.map((x) => `${((x.toMs - x.fromMs) / 1000).toFixed(1)} s at t=${Math.max(0, Math.round((x.fromMs - start) / 1000))} s`).join(', ');
    out.push(
      `${harnessStallFailed(s) ? 'FAILED: ' : ''}the harness itself stalled: the coordinator, which serves the fleet, did not run for ${at} (stopped, swapped out, or short of CPU). ` +
        `The fleet served nothing then, so ${s.run.harnessStalledSeconds ?? 0} second(s) are left neutral in evenness and starvation: the run does not measure ${sut} there.`,
    );
  }
  const silent = st.seconds.filter((x) => x.noFrame);
  if (s.run.missingSeconds > 0) {
    const gcSilent = silent.filter((x) => x.withGc).length;
    out.push(
      `${silenceFailed(s) ? 'FAILED: ' : ''}${sut} sent no frame for ${s.run.missingSeconds} of the ${secs} s measured (longest silence ${s.run.longestSilenceSeconds} s, ` +
        `from t=${silent[0]?.t ?? '?'} s): it was frozen, blocked or cut off, and those seconds count as starved with 0 samples; ` +
        (gcSilent === 0 ? 'GC did not cause them (no GC work in them to explain the silence).' : `GC explains ${gcSilent} of them.`),
    );
  }
  const pctOfExpected = sps.expected > 0 ? (sps.mean / sps.expected) * 100 : NaN;
  out.push(
    `ingested ${fmt(sps.mean)} samples/s on average (${pctOfExpected.toFixed(0)} % of the ${fmt(sps.expected)} the fleet offers), CV ${sps.cv === null ? 'n/a' : sps.cv.toFixed(3)}.`,
  );
  out.push(...shardsVerdict(s));
  if (st.windows === 0) {
    out.push(`ingestion was even: no second fell more than ${st.criteria.belowMedianPct} % below the median or saw event-loop delay over ${st.criteria.eventLoopDelayMs} ms.`);
  } else {
    out.push(unevenLine(s, secs));
  }
  if (st.correlation.gcTime !== null) {
    out.push(`per-second GC time correlates with the ingestion deficit at r = ${st.correlation.gcTime.toFixed(2)}; allocation at r = ${st.correlation.allocation?.toFixed(2) ?? 'n/a'}.`);
  }
  if (s.bytesPerSample !== null) out.push(`${sut} allocated ${fmt(s.bytesPerSample)} B per sample (${fmt(s.allocation.bytesPerSecond / 1e6)} MB/s).`);
  if (s.gc.harnessGcs) out.push(`${s.gc.harnessGcs} GCs during promsoak's own heap snapshots are left out of the GC figures (and the seconds they stopped the engine are not counted as silent).`);
  if (s.run.target && !s.run.target.gcTraced) {
    out.push(`${sut}'s GC is not traced (a Go program launched by promsoak gets GODEBUG=gctrace=1; any other is not seen): GC figures are n/a, not 0.`);
  } else if (s.gc.cpuShare !== null) {
    const worst = Math.max(0, ...gcMsPerSecond);
    out.push(`GC took ${(s.gc.cpuShare * 100).toFixed(1)} % of ${sut === 'the engine' ? "the engine's" : "the target's"} CPU (${s.gc.count} collections, ${fmt(s.gc.pauseMs)} ms paused; the worst second had ${fmt(worst)} ms of GC work).`);
  }
  out.push(
    `CPU: ${s.cpu.avgCores.toFixed(2)} cores on average, ${s.cpu.peakCores.toFixed(2)} at p99 (peak/avg ${s.cpu.peakOverAvg.toFixed(2)})` +
      (s.cpu.usPerSample !== null ? `, ${s.cpu.usPerSample.toFixed(2)} µs per sample.` : '.'),
  );
  const p = s.provisioning;
  out.push(
    `provision ${p.coresNeeded} core${p.coresNeeded === 1 ? '' : 's'} (p99 CPU at ${Math.round(p.targetUtilization * 100)} % utilisation) and ${fmt(p.ramNeededBytes / 2 ** 20)} MiB of RAM` +
      (p.gcCoreOverheadPct !== null ? `; GC adds ${p.gcCoreOverheadPct.toFixed(0)} % onto cores` : '') +
      (p.gcRamOverheadPct !== null ? ` and ${p.gcRamOverheadPct.toFixed(0)} % onto RAM (${ramWords(s, sut !== 'the engine' || !!s.gc.byKind.go)})` : '') +
      '.',
  );
  const trend = s.memory.heapTrend;
  if (trend) {
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    out.push(
      trend.leak
        ? `LEAK: the heap after GC grew ${mib(trend.growthBytesPerHour)} MiB per hour (from a floor of ${mib(trend.floorBytes)} MiB, r² ${trend.r2.toFixed(2)}), more than 10 % of itself an hour.`
        : trend.settling
          ? `not yet steady: the heap after GC grew ${mib(trend.growthBytesPerHour)} MiB per hour over the window (from a floor of ${mib(trend.floorBytes)} MiB, r² ${trend.r2.toFixed(2)}) but ${mib(trend.lateGrowthBytesPerHour ?? 0)} MiB per hour over its second half, under 10 % of itself an hour: growth levelling off is a warm-up, not a leak shown; soak longer to tell.`
          : trend.r2 < 0.5 && trend.growthBytesPerHour > Math.max(2 ** 20, 0.1 * trend.floorBytes)
            ? `no leak shown: the heap after GC scatters around ${mib(trend.floorBytes)} MiB with no line through it (r² ${trend.r2.toFixed(2)} over ${trend.buckets} ${trend.source === 'floor' ? 'buckets' : 'mark-compacts'}; its slope would be ${mib(trend.growthBytesPerHour)} MiB per hour): soak longer to tell.`
            : `the heap after GC held steady: ${trend.growthBytesPerHour >= 0 ? '+' : ''}${mib(trend.growthBytesPerHour)} MiB per hour around ${mib(trend.floorBytes)} MiB (r² ${trend.r2.toFixed(2)} over ${trend.buckets} ${trend.source === 'floor' ? 'buckets' : 'mark-compacts'}; no leak above 10 % an hour).`,
    );
  }
  if (s.scrapes.failed !== null && s.scrapes.failed > 0) out.push(`${s.scrapes.failed} scrapes failed (${s.scrapes.ok ?? 'n/a'} ok).`);
  if (s.fleet.saturated) out.push(`WARNING: the load generator was saturated (${s.fleet.reason}): the engine may not be to blame for a shortfall.`);
  else if (!s.fleet.shards && s.cpu.avgCores > 0) out.push(fleetLine(s));
  return out;
}

/** A stall of the harness of a second or more: the load was not what the run says it was. */
export function harnessStallFailed(s: Summary): boolean {
  return (s.run.harnessStalls ?? []).some((x) => x.toMs - x.fromMs >= 1000);
}

/** An engine silent for longer than the limit: the soak measured a broken engine, not its ingestion. */
export function silenceFailed(s: Summary): boolean {
  return s.run.longestSilenceSeconds > (s.starvation.criteria.silenceLimitSeconds ?? Infinity);
}

/**
 * The starved seconds in words: what they lost, what GC explains of it (gc-blame.ts), and the
 * biggest stall GC does not explain, named as not GC's.
 */
function unevenLine(s: Summary, secs: number): string {
  const st = s.starvation;
  const lost = st.lostSeconds ?? 0;
  const explained = st.gcExplainedSeconds ?? 0;
  const head = `ingestion was uneven: ${st.windows} of ${secs} s fell >${st.criteria.belowMedianPct} % below the median, stalled the event loop or had no frame`;
  const gcPart =
    `GC explains ${explained.toFixed(1)} of the ${lost.toFixed(1)} s lost (its pauses and marking, and helper threads where they competed for the cores); ` +
    (st.withGc === 0 ? 'no second reads as GC\'s' : `${st.withGc} second${st.withGc === 1 ? '' : 's'} read${st.withGc === 1 ? 's' : ''} as GC's (GC's work at least half of what ${st.withGc === 1 ? 'it' : 'each'} lost)`);
  const stall = biggestUnexplained(st.seconds);
  const stallPart = stall
    ? `; the biggest stall, ${stall.seconds} s from t=${stall.fromT} s (${(stall.lostMs / 1000).toFixed(1)} s lost, ${fmt(stall.gcMs)} ms of GC work in it), was not GC's`
    : '';
  return `${head}; ${gcPart}${stallPart}.`;
}

/** The longest run of consecutive starved seconds that GC does not explain, by what it lost. */
interface Stall {
  fromT: number;
  seconds: number;
  lostMs: number;
  gcMs: number;
}

function biggestUnexplained(seconds: Summary['starvation']['seconds']): Stall | null {
  let best: Stall | null = null;
  let cur: Stall | null = null;
  let lastT = -Infinity;
  for (const x of seconds) {
    if (x.withGc) {
      cur = null;
      lastT = -Infinity;
      continue;
    }
    if (!cur || x.t !== lastT + 1) cur = { fromT: x.t, seconds: 0, lostMs: 0, gcMs: 0 };
    cur.seconds++;
    cur.lostMs += x.lostMs ?? 0;
    cur.gcMs += x.gc.explainedMs ?? 0;
    lastT = x.t;
    if (!best || cur.lostMs > best.lostMs) best = { ...cur };
  }
  return best;
}

/** What the RAM figure is, and what peak RSS is made of (memory.ram). */
function ramWords(s: Summary, go: boolean): string {
  const r = s.memory.ram;
  const what = go ? "the heap at its peak (gctrace's before→after a collection) over the live heap it reported" : 'the heap at its peak over the live heap after a full GC';
  if (!r || r.liveHeapBytes === null) return what;
  const mib = (b: number | null): string => (b === null ? 'n/a' : fmt(b / 2 ** 20));
  const share = gcHeadroomOfRssPct(r);
  return `${what}: ${mib(r.gcHeadroomBytes)} MiB${share === null ? '' : `, ${share} % of peak RSS`}; peak RSS ${mib(r.peakRssBytes)} MiB = live heap ${mib(r.liveHeapBytes)} + GC headroom ${mib(r.gcHeadroomBytes)} + off-heap ${mib(r.offHeapBytes)} + runtime and the rest ${mib(r.runtimeAndRestBytes)}${r.partsOverRssBytes ? `; the parts add up to ${mib(r.partsOverRssBytes)} MiB more than peak RSS: the heap at its peak was not all resident at once` : ''}`;
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

/** The load generator's own CPU beside the system's, when it kept up: what it cost, and that it was not the limit. */
function fleetLine(s: Summary): string {
  const f = s.fleet;
  const share = (f.cpuCores / s.cpu.avgCores) * 100;
  return (
    `the load generator kept up: the fleet used ${f.cpuCores.toFixed(2)} cores on average, ${f.peakCpuCores.toFixed(2)} at p99 of its ${f.cores} core${f.cores === 1 ? '' : 's'}` +
    `${f.sharedWithEngine ? ' (shared with the system under test)' : ''}, ${share.toFixed(0)} % of the system's CPU.`
  );
}
