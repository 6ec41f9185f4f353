import { PromsoakError } from '../common/errors.js';
import { checkIngesterSpec } from '../common/ingester-spec.js';
import { DEFAULTS } from '../common/defaults.js';
import { checkSize } from '../fleet/capacity.js';
import { defaultThreads } from '../fleet/fleet.js';
import { positiveInt, positiveNumber } from '../common/options.js';
import { writeFileSync } from 'node:fs';
import { makeUniqueDir } from '../common/out-dir.js';
import { join } from 'node:path';
import { loadProfile } from '../profile/load.js';
import { runSoak } from '../run/soak.js';
import { planTarget } from '../run/target-plan.js';
import { connectFleet } from '../run/remote-fleet.js';
import type { SoakProgress } from '../run/recorder.js';
import { checkSoakSeconds, type SoakOptions } from '../run/soak-plan.js';
import { planPush } from '../run/push-plan.js';
import { parsePushProtocol, pushArgs, type PushFlags } from '../push/push-options.js';
import type { Summary } from '../analysis/summary.js';
import { aggregate, METRICS, type VariantResult } from './aggregate.js';
import { compareVerdict, findCores, type FindCoresResult } from './verdict.js';
import { interleave, planVariants, type CompareAxes, type Variant } from './plan.js';
import { renderCompareHtml } from './html.js';
import { pairedComparisons, storedComparisons, byRound, completedRun, unsoundWhy, type Comparison } from './comparisons.js';
import { controlLines, untrustedFigures, withControl, type Untrusted } from './control.js';
import { judgeGates, parseGate, type GateResult } from './gate.js';
import { aaNoisePct, baselineMismatch, baselineRuns, loadBaseline, loadMismatch, type StoredBaseline } from './baseline.js';
import { parseTarget } from '../run/target-spec.js';
import { relative } from 'node:path';
import { checkTogether, checkTogetherFlags } from './together.js';
import { runTogetherRounds } from './together-run.js';

export interface CompareOptions extends CompareAxes, Pick<SoakOptions, 'metricsPort' | 'metricsHost' | 'onMetricsUrl' | 'fleet' | 'allowTargetHosts' | 'onFleetEvent'>, Partial<PushFlags> {
  /** Absent: `default`, or with `fleet` the shards' own. */
  profile?: string;
  repeat: number;
  durationSeconds?: number;
  warmupSeconds?: number;
  exporters?: number;
  intervalSeconds?: number;
  out: string;
  /** --find-cores: try 1…machine cores and report the smallest that ingests flat. */
  findCores?: { maxCv: number; maxCpuShare: number };
  /** exec: and url: targets: where their metrics are and what counts their samples. */
  targetMetrics?: string;
  targetSamples?: string;
  /** Launched targets: bytes kept of each of their log files. */
  targetLogLimitBytes?: number;
  interrupt?: Promise<void>;
  /** --together (compare/together.ts, together-run.ts): every round's variants at the same time on one fleet. */
  together?: boolean;
  /** --control: an A/A twin of the first variant in every round. */
  control?: boolean;
  /** --baseline: a stored compare.json, compare directory or run directory the variants are compared with. */
  baseline?: string;
  /** --gate expressions (gate.ts). */
  gates?: string[];
  /** --force: compare with a baseline of another profile, load or target. */
  force?: boolean;
}

export interface CompareResult {
  dir: string;
  results: VariantResult[];
  verdict: string[];
  findCores?: FindCoresResult;
  interrupted: boolean;
  comparisons: Comparison[];
  untrusted: Untrusted[];
  gates: GateResult[];
  baseline?: StoredBaseline;
}

/** 2: each variant's differences from the baseline with their 95 % intervals (`comparisons`), the control, the baseline and the gates; runs[].relDir. */
export const COMPARE_SCHEMA_VERSION = 2;

/** --target-metrics, --target-samples and --target-log-limit go to the variants they mean something to (not the engine's; the log limit to launched targets). */
function targetFlags(o: CompareOptions, v: Variant): { targetMetrics?: string; targetSamples?: string; targetLogLimitBytes?: number } {
  if (v.target === 'builtin') return {};
  return { targetMetrics: o.targetMetrics, targetSamples: o.targetSamples, ...(v.target.startsWith('url:') ? {} : { targetLogLimitBytes: o.targetLogLimitBytes }) };
}

/**
 * A compare's directory, `<out>/<UTC time>-compare-<profile>/`, its own even when another
 * compare starts in the same second (`-2`, `-3` …: one mkdir a try).
 */
export function makeCompareDir(out: string, profileName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return makeUniqueDir(out, `${stamp}-compare-${profileName}`);
}

/** `promsoak compare`: the same soak across settings, interleaved, each run with its own directory. */
export async function runCompare(
  o: CompareOptions,
  onRun: (info: { index: number; total: number; variant: Variant; repeat: number }) => void = () => {},
  onProgress: (p: SoakProgress) => void = () => {},
): Promise<CompareResult> {
  // Every gate checked first: an unknown or non-numeric key is refused before anything runs.
  const gates = (o.gates ?? []).map(parseGate);
  const stored = o.baseline !== undefined ? loadBaseline(o.baseline) : undefined;
  checkTogetherFlags(o);
  // With --fleet every run soaks the same running shards: checked once now, and again by each run.
  if (o.fleet === undefined && o.allowTargetHosts !== undefined) throw new PromsoakError('PROMSOAK_USAGE', '--allow-target-hosts applies to the targets of --fleet\'s shards: give --fleet too');
  const profile =
    o.fleet !== undefined ? (await connectFleet({ fleet: o.fleet, profile: o.profile, exporters: o.exporters, allowTargetHosts: o.allowTargetHosts })).profile : loadProfile(o.profile ?? 'default');
  positiveInt('--repeat', o.repeat, 1000);
  // Before the compare directory is made: not at the first run's start.
  checkSoakSeconds(o);
  // Each run sizes its profile so (run/soak-plan.ts); a copy here, so that --exporters 1e9 is refused before the directory.
  checkSize({ ...profile }, { exporters: o.exporters, threads: defaultThreads(), headWindow: DEFAULTS.headWindow });
  positiveNumber('--max-cv', o.findCores?.maxCv);
  positiveNumber('--max-cpu', o.findCores?.maxCpuShare, 1);
  const forced: string[] = [];
  const planned = planVariants(o);
  checkTogether(o, planned);
  const variants = o.control ? withControl(planned) : planned;
  const relativeGate = gates.find((g) => g.relative);
  if (relativeGate && !stored && planned.length < 2) {
    throw new PromsoakError('PROMSOAK_USAGE', `--gate '${relativeGate.expression}': a % bound is on a difference from a baseline: give --baseline, or a second variant to compare with the first`);
  }
  if (stored) {
    const mismatch = baselineMismatch(stored, {
      profile: profile.name,
      exporters: o.exporters ?? profile.exporters,
      intervalSeconds: o.intervalSeconds ?? profile.scrapeIntervalSeconds,
      durationSeconds: o.durationSeconds ?? profile.durationSeconds,
      targets: variants.map((v) => parseTarget(v.target).kind),
      push: o.push === undefined ? undefined : parsePushProtocol(o.push) === 2 ? '2.0' : '1.0',
    });
    if (mismatch.length && !o.force) throw new PromsoakError('PROMSOAK_USAGE', `--baseline ${stored.source}: not the same soak: ${mismatch.join('; ')} (--force compares them anyway)`);
    if (mismatch.length) forced.push(...mismatch);
  }
  // Every variant's ingester checked before the first runs (not an hour into the compare).
  for (const v of variants) {
    if (v.ingester !== undefined) checkIngesterSpec(v.ingester);
    // A missing binary or a bad --env fails now too.
    const t = planTarget({ target: v.target, env: v.env, ...targetFlags(o, v), ingester: v.target === 'builtin' ? v.ingester : undefined, push: o.push });
    // --push: every target must be able to receive, checked before the first run.
    planPush({ ...pushArgs(o), fleet: o.fleet, ingester: v.ingester }, t.spec);
  }
  const order = interleave(variants, o.repeat);
  const dir = makeCompareDir(o.out, profile.name);
  const runs: { variant: number; repeat: number; dir: string; summary: Summary }[] = [];
  let interrupted = false;
  let stop = false;
  o.interrupt?.then(() => (stop = true));
  const together = o.together ? await runTogetherRounds({ ...o, profile, out: dir }, variants, () => stop, onRun, onProgress) : undefined;
  if (together) (runs.push(...together.runs), (interrupted = together.interrupted));
  for (let i = 0; i < order.length && !stop && !together; i++) {
    const { variant: vi, repeat } = order[i]!;
    const v = variants[vi]!;
    onRun({ index: i, total: order.length, variant: v, repeat });
    const r = await runSoak(
      {
        profile: { ...profile, families: structuredClone(profile.families) },
        durationSeconds: o.durationSeconds,
        warmupSeconds: o.warmupSeconds,
        exporters: o.exporters,
        intervalSeconds: o.intervalSeconds,
        ingester: v.ingester,
        cores: v.cores,
        v8Flags: v.v8Flags,
        nodePath: v.nodePath,
        target: v.target,
        env: v.env,
        ...targetFlags(o, v),
        ...pushArgs(o),
        out: dir,
        interrupt: o.interrupt,
        metricsPort: o.metricsPort,
        metricsHost: o.metricsHost,
        onMetricsUrl: o.onMetricsUrl,
        fleet: o.fleet,
        allowTargetHosts: o.allowTargetHosts,
        onFleetEvent: o.onFleetEvent,
      },
      onProgress,
    );
    if (r.summary.run.stopReason === 'interrupted') interrupted = true;
    runs.push({ variant: vi, repeat, dir: r.dir, summary: r.summary });
  }
  const results = variants.map((v, i) => aggregate(v, runs.filter((r) => r.variant === i)));
  const present = results.filter((r) => r.runs.length > 0);
  const paired = present[0] === results[0] ? pairedComparisons(present) : [];
  const comparisons = stored ? [...storedComparisons(`stored ${stored.label}`, baselineRuns(stored), present), ...paired.filter((c) => c.control)] : paired;
  const controlComparison = comparisons.find((c) => c.control);
  const twin = present.find((r) => r.variant.control);
  const untrusted = controlComparison && twin ? untrustedFigures(controlComparison, present[0]!, twin) : [];
  const verdict = compareVerdict(present, comparisons, new Set(stored ? [] : untrusted.map((u) => u.figure)));
  if (stored) verdict.unshift(`against the stored baseline ${stored.source} (${stored.label}, ${baselineRuns(stored).length} repeat${baselineRuns(stored).length === 1 ? '' : 's'}): unpaired (Welch), its runs were not interleaved with these${stored.leftOut.length ? `; left out of it, not completed: ${stored.leftOut.join(', ')}` : ''}.`);
  if (controlComparison) verdict.push(...controlLines(controlComparison, untrusted));
  // A profile file edited under the same name shows only in what the runs measured.
  const loadDiff = stored ? loadMismatch(stored, runs.map((r) => r.summary)) : [];
  if (loadDiff.length && !o.force) verdict.unshift(`FAILED: not the same soak as the baseline: ${loadDiff.join('; ')}: its differences above compare different loads${gates.length ? ', and the gates were not judged' : ''} (--force compares them anyway).`);
  if (o.force) forced.push(...loadDiff);
  if (forced.length) verdict.unshift(`WARNING: compared with a baseline of another soak (--force): ${forced.join('; ')}.`);
  // A run that did not complete (the engine died, the disk filled) is no figure to judge a gate by.
  const broken = runs.filter((r) => r.summary.run.stopReason !== 'interrupted' && unsoundWhy(r.summary) !== null);
  const brokenList = broken.map((r) => `${variants[r.variant]!.label} #${r.repeat + 1} ${unsoundWhy(r.summary)}`).join('; ');
  // The differences are of sound runs only (comparisons.ts); a compare one of whose runs failed is no clean comparison: said first, exit 1.
  if (broken.length) verdict.unshift(`FAILED: ${brokenList}: left out of the differences, which compare only the runs that completed and did not fail.`);
  let gateResults: GateResult[] = [];
  if (gates.length) {
    if (loadDiff.length && !o.force) {
      // Said above.
    } else if (broken.length) {
      verdict.push(`FAILED: the gates were not judged: ${brokenList}.`);
    } else {
      const base = stored
        ? { label: `the stored ${stored.label}`, runs: baselineRuns(stored), design: 'unpaired' as const, aaNoisePct: (key: string) => aaNoisePct(stored, key) }
        : present[0] === results[0]
          ? { label: results[0]!.variant.label, runs: byRound(results[0]!), design: 'paired' as const }
          : undefined;
      // Against a stored baseline every variant is a candidate; within one compare, a % gate judges the variants after the first, an absolute one every variant. Never the control.
      const candidates = (relativeGate: boolean) =>
        present.filter((r) => !r.variant.control && (stored !== undefined || !relativeGate || r !== results[0])).map((r) => ({ label: r.variant.label, runs: stored ? r.runs.map((x) => x.summary).filter(completedRun) : byRound(r) }));
      gateResults = gates.map((g) => judgeGates([g], { candidates: candidates(g.relative), base })[0]!);
      verdict.push(...gateResults.map((g) => g.line));
    }
  }
  if (together) verdict.unshift(together.note);
  // A pushed run whose samples were rejected, dropped or not stored is not a figure to compare: said first.
  for (const r of runs) {
    if (r.summary.push?.failed) verdict.unshift(`FAILED: ${variants[r.variant]!.label} #${r.repeat + 1}: ${r.summary.verdict.find((l) => l.startsWith('FAILED')) ?? 'the push failed'} (${r.dir})`);
  }
  const fc = o.findCores ? findCores(present.filter((r) => !r.variant.control), o.findCores.maxCv, o.findCores.maxCpuShare) : undefined;
  if (fc) {
    verdict.push(
      fc.coresNeeded !== null
        ? `--find-cores: ${fc.coresNeeded} core${fc.coresNeeded === 1 ? '' : 's'} is the smallest count that ingests flat (CV ≤ ${fc.maxCv}, p99 CPU ≤ ${Math.round(fc.maxCpuShare * 100)} % of the cores, no starved second).`
        : `--find-cores: no core count up to ${Math.max(...fc.tried.map((t) => t.cores))} ingests flat (CV ≤ ${fc.maxCv}, p99 CPU ≤ ${Math.round(fc.maxCpuShare * 100)} % of the cores, no starved second).`,
    );
  }
  const json = {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    profile: profile.name,
    repeat: o.repeat,
    interrupted,
    design: stored ? 'unpaired: against a stored baseline (Welch)' : 'paired: interleaved by round (A B, B A, …), round r\'s runs pair',
    baseline: stored ? { source: stored.source, schemaVersion: stored.schemaVersion, label: stored.label, repeats: baselineRuns(stored).length, control: stored.control.some(Boolean), leftOut: stored.leftOut } : null,
    variants: present.map((r) => ({
      label: r.variant.label,
      control: r.variant.control === true,
      settings: { target: r.variant.target, cores: r.variant.cores ?? null, ingester: r.variant.ingester ?? null, v8Flags: r.variant.v8Flags, node: r.variant.nodePath ?? null, env: r.variant.env },
      stats: r.stats,
      fleetShared: r.fleetShared,
    })),
    runs: runs.map((r) => ({
      variant: variants[r.variant]!.label,
      repeat: r.repeat,
      dir: r.dir,
      relDir: relative(dir, r.dir),
      ...Object.fromEntries(METRICS.map((m) => [m.key, m.get(r.summary)])),
      stopReason: r.summary.run.stopReason,
      ...(r.summary.push ? { push: { generated: r.summary.push.totals.generated, acknowledged: r.summary.push.totals.acknowledged, stored: r.summary.push.stored, failed: r.summary.push.failed } } : {}),
    })),
    comparisons,
    control: controlComparison ? { label: controlComparison.label, untrusted } : null,
    gates: gateResults.length ? gateResults : null,
    findCores: fc ?? null,
    verdict,
  };
  writeFileSync(join(dir, 'compare.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(dir, 'compare.html'), renderCompareHtml(`promsoak compare: ${profile.name}`, present, verdict, comparisons));
  return { dir, results: present, verdict, findCores: fc, interrupted, comparisons, untrusted, gates: gateResults, baseline: stored };
}
