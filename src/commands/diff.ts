import { positiveInt } from '../common/options.js';
import { writeOwnFile } from '../run/own-file.js';
import { diff, type DiffOptions, type DiffResult } from '../diff/diff.js';
import { renderDiff } from '../diff/render.js';
import { renderDiffHtml } from '../diff/html.js';

export const DIFF_SCHEMA_VERSION = 1;

/** A block of a day is as long as any steady stretch worth comparing. */
const MAX_BLOCK_SECONDS = 86_400;

/**
 * `promsoak diff <a> <b>`: prints the comparison, writes it to --json and --html when asked. Exit 0 (a diff
 * informs), or 1 with --fail-on-worse when a figure reads worse; bad input is one line, exit 2.
 */
export function diffCommand(o: DiffOptions & { json?: string; html?: string; failOnWorse?: boolean }, log: (line: string) => void): number {
  positiveInt('--block-seconds', o.blockSeconds, MAX_BLOCK_SECONDS);
  const r: DiffResult = diff(o);
  for (const line of renderDiff(r)) log(line);
  if (o.json !== undefined) writeOwnFile(o.json, JSON.stringify({ schemaVersion: DIFF_SCHEMA_VERSION, ...r }, null, 2) + '\n');
  if (o.html !== undefined) writeOwnFile(o.html, renderDiffHtml(r));
  return o.failOnWorse && r.worse.length > 0 ? 1 : 0;
}
