import { writeFileSync } from 'node:fs';
import { makeOutDir } from '../common/out-dir.js';
import { join } from 'node:path';
import { renderHtml } from '../cardinality/html.js';
import { runCardinality, type CardinalityReport } from '../cardinality/run.js';
import { fmtBytes, renderTables } from '../cardinality/tables.js';
import { resolveOptions, type CardinalityOptions } from '../cardinality/spec.js';

export interface CardinalityCommandOptions extends Partial<CardinalityOptions> {
  quick?: boolean;
}

/** Writes cardinality.json and cardinality.html into `dir`; returns their paths. */
export function writeCardinality(r: CardinalityReport, dir: string): { json: string; html: string } {
  makeOutDir(dir);
  const json = join(dir, 'cardinality.json');
  const html = join(dir, 'cardinality.html');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(html, renderHtml(r));
  return { json, html };
}

/**
 * `promsoak cardinality`: the second article's experiment (memory per label set by metric
 * type) for prom-client or the engine's head. Progress goes to `progress` (stderr in the CLI).
 */
export async function cardinalityCommand(
  o: CardinalityCommandOptions,
  log: (line: string) => void,
  progress: (line: string) => void = () => {},
): Promise<CardinalityReport> {
  const opts = resolveOptions(o);
  if (opts.out) makeOutDir(opts.out);
  const report = await runCardinality(opts, (done, total, c) => {
    progress(
      `[${done}/${total}] ${c.subject} ${c.type} ${c.labelSets} sets × ${c.observations} (run ${c.repeat + 1}): ` +
        `${fmtBytes(c.bytes)}, ${c.bytesPerLabelSet.toFixed(1)} B/set (${(c.wallMs / 1000).toFixed(1)} s)`,
    );
  });
  for (const line of renderTables(report)) log(line);
  if (opts.out) {
    const w = writeCardinality(report, opts.out);
    log(`wrote ${w.json} and ${w.html}`);
  }
  return report;
}
