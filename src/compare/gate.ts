import type { Summary } from '../analysis/summary.js';
import { PromsoakError } from '../common/errors.js';
import { numericKeyProblem, readSummaryKey, type NumericSummaryKey } from './summary-paths.js';
import { formatDifference, valuesDifference } from './differences.js';

/**
 * `--gate 'cpu.usPerSample<+5%'`: a summary.json key, a comparison and a bound. With a % the
 * bound is on the difference from the baseline and fails only on a DETECTABLE regression past it
 * (`<`: the interval's low end above the bound; `>`: its high end below); without, it is absolute
 * and holds on every repeat (`starvation.windows==0`, `samplesPerSecond.cv<=0.1`).
 */
export interface Gate {
  expression: string;
  key: NumericSummaryKey;
  op: '<' | '<=' | '>' | '>=' | '==';
  bound: number;
  relative: boolean;
}

const GATE = /^\s*([A-Za-z0-9_.-]+)\s*(<=|>=|==|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(%?)\s*$/i;

/** One --gate, checked: a bad form, an unknown key or a key that is not a number is one line naming it (exit 2). */
export function parseGate(expression: string): Gate {
  const usage = (why: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', `--gate '${expression}': ${why}`);
  const m = GATE.exec(expression);
  if (!m) throw usage("not a gate: <summary.json key><op><bound>, e.g. 'cpu.usPerSample<+5%' or 'starvation.windows==0' (op: <, <=, >, >=, ==)");
  const [, key, op, num, pct] = m;
  const problem = numericKeyProblem(key!);
  if (problem) throw usage(problem);
  const bound = Number(num);
  if (!Number.isFinite(bound)) throw usage(`${num} is not a finite number`);
  const relative = pct === '%';
  if (relative && op === '==') throw usage('a % bound is on a difference with an interval: use < or >, e.g. <+5%');
  return { expression: expression.trim(), key: key as NumericSummaryKey, op: op as Gate['op'], bound, relative };
}

export interface GateSide {
  label: string;
  /** Paired: index r is round r's run (undefined where missing). */
  runs: (Summary | undefined)[];
}

export interface GateInput {
  candidates: GateSide[];
  /** Absent: only absolute gates can be judged. */
  base?: GateSide & {
    design: 'paired' | 'unpaired';
    /** The largest |difference| in % its A/A control read on a key (NaN: the baseline had no control). */
    aaNoisePct?: (key: string) => number;
  };
}

export interface GateResult {
  expression: string;
  ok: boolean;
  /** false: it could not be judged (one repeat and no A/A noise recorded): passed with a warning. */
  judged: boolean;
  /** Each candidate's reading: its difference with its interval, or its worst repeat. */
  readings: { label: string; reading: string; ok: boolean; judged: boolean }[];
  line: string;
}

const holds = (v: number, op: Gate['op'], bound: number): boolean =>
  op === '<' ? v < bound : op === '<=' ? v <= bound : op === '>' ? v > bound : op === '>=' ? v >= bound : v === bound;

function absolute(g: Gate, side: GateSide): { label: string; reading: string; ok: boolean; judged: boolean } {
  const vals = side.runs.map((s, r) => ({ r, v: s === undefined ? undefined : readSummaryKey(s, g.key) })).filter((x) => x.v !== undefined) as { r: number; v: number }[];
  const bad = vals.filter((x) => !holds(x.v, g.op, g.bound));
  if (vals.length === 0) return { label: side.label, reading: 'no run', ok: false, judged: true };
  if (bad.length) return { label: side.label, reading: bad.map((x) => `#${x.r + 1} ${Number.isNaN(x.v) ? 'not measured' : x.v}`).join(', '), ok: false, judged: true };
  return { label: side.label, reading: `${vals.map((x) => x.v).join(', ')} in ${vals.length} repeat${vals.length === 1 ? '' : 's'}`, ok: true, judged: true };
}

function relative(g: Gate, side: GateSide, base: NonNullable<GateInput['base']>, familySize: number): { label: string; reading: string; ok: boolean; judged: boolean } {
  const up = g.op === '<' || g.op === '<=';
  const d = valuesDifference({ id: g.key, title: g.key, unit: '', lowerIsBetter: up }, base.runs.map((s) => (s ? readSummaryKey(s, g.key) : NaN)), side.runs.map((s) => (s ? readSummaryKey(s, g.key) : NaN)), base.design, familySize);
  const reading = `${formatDifference(d, 2)}${d.absoluteWhy ? ` (${d.absoluteWhy})` : ''} against ${base.label}`;
  if (!Number.isFinite(d.value)) return { label: side.label, reading: `${g.key} not measured`, ok: false, judged: true };
  // A zero baseline: the gate fails on a detectable move the wrong way from it, in the key's unit.
  const bound = d.unit === '%' ? g.bound : 0;
  if (Number.isFinite(d.low)) return { label: side.label, reading, ok: up ? !(d.low > bound) : !(d.high < bound), judged: true };
  const aa = d.unit === '%' ? (base.aaNoisePct?.(g.key) ?? NaN) : NaN;
  if (Number.isFinite(aa)) {
    return { label: side.label, reading: `${reading}; no interval, judged against the baseline's A/A noise ±${aa.toFixed(2)} %`, ok: up ? !(d.value > bound + aa) : !(d.value < bound - aa), judged: true };
  }
  return { label: side.label, reading: `${reading}; no interval (one repeat) and no A/A noise recorded in the baseline`, ok: true, judged: false };
}

/**
 * Every gate judged on every candidate; a gate fails when any candidate fails it. The % gates'
 * intervals hold together (Bonferroni over the % gates × candidates): a CI job with five gates
 * fails an unchanged build 5 % of the time at most, not 1 − 0.95^5 = 23 %.
 */
export function judgeGates(gates: Gate[], input: GateInput): GateResult[] {
  const family = Math.max(1, gates.filter((g) => g.relative).length * input.candidates.length);
  return gates.map((g) => {
    // No candidate (Ctrl-C before any run, nothing but the baseline ran): nothing judged is no pass.
    const readings = input.candidates.length === 0 ? [{ label: '', reading: 'no run to judge it by', ok: false, judged: true }] : input.candidates.map((c) => (g.relative ? relative(g, c, input.base!, family) : absolute(g, c)));
    const ok = readings.every((r) => r.ok);
    const judged = readings.every((r) => r.judged);
    const text = readings.map((r) => (readings.length > 1 ? `${r.label}: ${r.reading}` : r.reading)).join('; ');
    const what = g.relative ? (g.op.startsWith('<') ? `a detectable regression past ${g.bound > 0 ? '+' : ''}${g.bound} %` : `a detectable drop past ${g.bound} %`) : `the bound not held on every repeat`;
    const line = !ok
      ? `FAILED: gate ${g.expression}: ${text}: ${what}.`
      : !judged
        ? `WARNING: gate ${g.expression} not judged: ${text}; it passes with this warning (--repeat 2 or more, or a baseline made with --control, lets it judge).`
        : `gate ${g.expression} passed: ${text}.`;
    return { expression: g.expression, ok, judged, readings, line };
  });
}
