import type { z } from 'zod';

/**
 * A zod issue as the one phrase of a one-line message: the field's path as JSON would name
 * it (`fleet.pid`, `[3].targets[0]`), what was wrong, and a short preview of what was there.
 */
export function describeIssue(issue: z.core.$ZodIssue, root = ''): string {
  const field = formatPath(root, issue.path) || 'the answer';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${field} is missing`;
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${preview(issue.input)})` : '';
  return `${field}: ${issue.message}${got}`;
}

function formatPath(root: string, path: PropertyKey[]): string {
  let s = root;
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/** A short, one-line, quoted preview of a value from outside: a string cut at 40 characters, an object or array by its kind. */
export function preview(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    const s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);
    return s;
  }
  return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
}
