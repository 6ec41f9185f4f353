import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * A run's directory: `<out>/<UTC time>-<profile>/` with profile.json, frames.ndjson, gc.ndjson,
 * summary.json, report.html, engine.stderr.log. Frames and GC events are appended as they
 * arrive (synchronously, a line at a time), so a run stopped by Ctrl-C or a crash still
 * leaves every second it measured on disk.
 */
export class RunDir {
  readonly path: string;
  constructor(out: string, profileName: string, now = new Date()) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    let path = resolve(out, `${stamp}-${profileName}`);
    for (let i = 2; existsSync(path); i++) path = resolve(out, `${stamp}-${profileName}-${i}`);
    mkdirSync(path, { recursive: true });
    this.path = path;
    for (const f of ['frames.ndjson', 'gc.ndjson', 'engine.stderr.log']) writeFileSync(this.file(f), '');
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
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // torn line
    }
  }
  return out;
}
