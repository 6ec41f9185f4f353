import { appendFileSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { makeUniqueDir } from '../common/out-dir.js';
import { diskFaultError, isDiskError, type DiskFault } from './disk-fault.js';

/**
 * A run's directory: `<out>/<UTC time>-<profile>/` (`-2`, `-3` … after it when that name is
 * taken; the profile's name is checked by the schema, and the path kept inside `<out>`) with
 * profile.json, frames.ndjson, gc.ndjson, summary.json, report.html, engine.stderr.log. Frames and GC events are appended as they
 * arrive (synchronously, a line at a time), so a run stopped by Ctrl-C or a crash still
 * leaves every second it measured on disk.
 */
export class RunDir {
  readonly path: string;
  /** The first write the disk refused (disk-fault.ts): after it, frames and GC events are no longer appended. */
  fault: DiskFault | undefined;
  /** Resolves with the first fault: the soak stops on it. */
  readonly faulted: Promise<DiskFault>;
  private onFault!: (f: DiskFault) => void;
  constructor(out: string, profileName: string, now = new Date(), logs: string[] = ['engine.stderr.log']) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    // One mkdir a try (-2, -3 … when taken): runs started in the same second get their own.
    this.path = makeUniqueDir(out, `${stamp}-${profileName}`);
    for (const f of ['frames.ndjson', 'gc.ndjson', ...logs]) writeFileSync(this.file(f), '');
    this.faulted = new Promise((r) => (this.onFault = r));
  }

  /** A write to `name` failed: a disk fault (ENOSPC, EDQUOT, EIO) is kept, the first one stops the soak; false for any other error. */
  writeFailed(name: string, e: unknown): boolean {
    if (!isDiskError(e)) return false;
    if (!this.fault) {
      this.fault = { file: name, code: e.code!, atMs: Date.now() };
      this.onFault(this.fault);
    }
    return true;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Called from the engine's and the sampler's events: a disk fault is kept (writeFailed), not thrown. */
  appendJson(name: 'frames.ndjson' | 'gc.ndjson', value: unknown): void {
    if (this.fault) return;
    try {
      appendFileSync(this.file(name), JSON.stringify(value) + '\n');
    } catch (e) {
      if (!this.writeFailed(name, e)) throw e;
    }
  }

  /** A disk fault is one line (PROMSOAK_DISK_FULL, exit 1), and leaves no half-written file. */
  writeText(name: string, text: string): void {
    try {
      writeFileSync(this.file(name), text);
    } catch (e) {
      if (!isDiskError(e)) throw e;
      rmSync(this.file(name), { force: true });
      throw diskFaultError(this.file(name), e);
    }
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  writeJson(name: string, value: unknown): void {
    this.writeText(name, JSON.stringify(value, null, 2) + '\n');
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
export function readNdjsonChecked<T>(path: string, text = readFileSync(path, 'utf8')): { items: T[]; tornLastLine: boolean; lineOf: number[] } {
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
