import { PromsoakError } from '../common/errors.js';
import type { Summary } from './summary.js';

/**
 * k6-style pass/fail criteria on summary.json keys: `bytesPerSample<200`,
 * `samplesPerSecond.cv<=0.1`, `starvation.windows==0`. A violated one makes `run` exit 1.
 */
export interface Threshold {
  expression: string;
  path: string[];
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  value: number;
}

const RE = /^\s*([A-Za-z][\w.]*)\s*(<=|>=|==|!=|<|>)\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*$/;

export function parseThreshold(expression: string): Threshold {
  const m = RE.exec(expression);
  if (!m || !Number.isFinite(Number(m[3]))) {
    throw new PromsoakError('PROMSOAK_USAGE', `--threshold "${expression}" is not of the form <summary key><op><number>, e.g. 'bytesPerSample<200' (ops: < <= > >= == !=)`);
  }
  return { expression, path: m[1]!.split('.'), op: m[2] as Threshold['op'], value: Number(m[3]) };
}

/** Checks that the key exists in a summary's shape, so a typo fails before a long soak. */
export function validateThresholdPath(t: Threshold, example: Summary): void {
  const v = lookup(example, t.path);
  if (v === undefined || (v !== null && typeof v !== 'number')) {
    throw new PromsoakError('PROMSOAK_USAGE', `--threshold "${t.expression}": summary.json has no numeric key ${t.path.join('.')}`);
  }
}

export function evaluate(t: Threshold, summary: Summary): { expression: string; ok: boolean; actual: number | null } {
  const v = lookup(summary, t.path);
  const actual = typeof v === 'number' && Number.isFinite(v) ? v : null;
  if (actual === null) return { expression: t.expression, ok: false, actual };
  const ok =
    t.op === '<' ? actual < t.value
    : t.op === '<=' ? actual <= t.value
    : t.op === '>' ? actual > t.value
    : t.op === '>=' ? actual >= t.value
    : t.op === '==' ? actual === t.value
    : actual !== t.value;
  return { expression: t.expression, ok, actual };
}

function lookup(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
