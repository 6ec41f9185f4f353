import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { makeOutDir } from '../common/out-dir.js';

/**
 * A run's directory: `<out>/<UTC time>-<profile>/` with profile.json, frames.ndjson, gc.ndjson,
 * summary.json, report.html, engine.stderr.log. Frames and GC events are appended as they
 * arrive (synchronously, a line at a time), so a run stopped by Ctrl-C or a crash still
 * leaves every second it measured on disk.
 */
export class RunDir {
  readonly path: string;
  constructor(out: string, profileName: string, now = new Date(), logs: string[] = ['engine.stderr.log']) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const root = makeOutDir(out);
    let path = resolve(root, `${stamp}-${profileName}`);
    for (let i = 2; existsSync(path); i++) path = resolve(root, `${stamp}-${profileName}-${i}`);
    mkdirSync(path);
    this.path = path;
    for (const f of ['frames.ndjson', 'gc.ndjson', ...logs]) writeFileSync(this.file(f), '');
  }

  file(name: string): string {
    return join(this.path, name);
  }

  appendJson(name: 'frames.ndjson' | 'gc.ndjson', value: unknown): void {
    appendFileSync(this.file(name), JSON.stringify(value) + '\n');
  }

  writeText(name: string, text: string): void {
    writeFileSync(this.file(name), text);
  }

  writeJson(name: string, value: unknown): void {
    writeFileSync(this.file(name), JSON.stringify(value, null, 2) + '\n');
  }
}

/** Reads an ndjson file; a torn last line (a crash mid-write) is skipped. */
export function readNdjson<T>(path: string): T[] {
  return existsSync(path) ? readNdjsonChecked<T>(path).items : [];
}

/**
 * Reads an ndjson file of a run directory, strictly: a line that is not a JSON object is an
 * error naming the file and line (the file is corrupt), except a last line without its
 * newline, which is what a process killed mid-write leaves: that one is left out and said.
 */
export function readNdjsonChecked<T>(path: string): { items: T[]; tornLastLine: boolean; lineOf: number[] } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const items: T[] = [];
  /** Each item's line in the file, from 1 (blank lines are skipped). */
  const lineOf: number[] = [];
  let tornLastLine = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      items.push(v as T);
      lineOf.push(i + 1);
      continue;
    }
    if (i === lines.length - 1) {
      tornLastLine = true;
      continue;
    }
    const excerpt = JSON.stringify(line.length > 40 ? line.slice(0, 40) + '…' : line);
    throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}:${i + 1}: not a JSON record (${excerpt}); the file is corrupt`);
  }
  return { items, tornLastLine, lineOf };
}
