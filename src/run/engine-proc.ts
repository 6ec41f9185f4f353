import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { leadingInt } from '../common/leading-int.js';
import { pageSize } from '../telemetry/proc.js';
import { ThreadClassifier, ThreadStatReader } from '../telemetry/thread-stat.js';

/** CPU seconds by thread class since the previous reading, and the RSS now. */
export interface EngineProcReading {
  main: number;
  v8Platform: number;
  worker: number;
  rssBytes: number;
}

/**
 * The engine's threads and RSS, read by the coordinator from /proc/<pid> when each of the
 * agent's frames arrives: what can be read from outside is, so that the agent (which runs in
 * the engine it measures) makes no system call for it. Each thread's schedstat (ns on a CPU)
 * and the process's statm stay open and are re-read in place.
 *
 * The classes need what only the engine knew at start: the tids alive when the agent was
 * preloaded (main, V8's platform workers, its delayed-task thread: thread-stat.ts), sent in
 * its hello. The window is the coordinator's, from one reading to the next (agent-frame.ts
 * apportions it among the frames it covers).
 */
export class EngineProcReader {
  private readonly threads: ThreadStatReader;
  private readonly classifier: ThreadClassifier;
  private readonly statm: number | undefined;
  private readonly buf = Buffer.allocUnsafe(128);
  private last: { main: number; v8Platform: number; worker: number };

  /** The engine's reader, or undefined where its /proc/<pid>/task cannot be read (not Linux, or it has gone). */
  static open(pid: number, startupTids: readonly number[]): EngineProcReader | undefined {
    try {
      readdirSync(`/proc/${pid}/task`);
    } catch {
      return undefined;
    }
    return new EngineProcReader(pid, startupTids);
  }

  private constructor(pid: number, startupTids: readonly number[]) {
    this.classifier = new ThreadClassifier(pid, [...startupTids]);
    this.threads = new ThreadStatReader(`/proc/${pid}/task`, (t) => this.classifier.classify(t) !== 'other');
    try {
      this.statm = openSync(`/proc/${pid}/statm`, 'r');
    } catch {
      this.statm = undefined; // not Linux, or the engine has gone
    }
    this.last = this.seconds() ?? { main: 0, v8Platform: 0, worker: 0 };
  }

  /** Undefined when none of the engine's threads could be read (it has gone). */
  read(): EngineProcReading | undefined {
    const s = this.seconds();
    if (!s) return undefined;
    const r = {
      main: Math.max(0, s.main - this.last.main),
      v8Platform: Math.max(0, s.v8Platform - this.last.v8Platform),
      worker: Math.max(0, s.worker - this.last.worker),
      rssBytes: this.rss(),
    };
    this.last = s;
    return r;
  }

  close(): void {
    this.threads.close();
    if (this.statm !== undefined) closeSync(this.statm);
  }

  private seconds(): { main: number; v8Platform: number; worker: number } | undefined {
    const times = this.threads.read();
    if (times.length === 0) return undefined;
    const by = this.classifier.sum(times);
    return { main: by.main, v8Platform: by['v8-platform'], worker: by.worker };
  }

  private rss(): number {
    if (this.statm === undefined) return 0;
    try {
      const n = readSync(this.statm, this.buf, 0, this.buf.length, 0);
      // "size resident shared …", in pages.
      const space = this.buf.indexOf(32);
      return space < 0 || space >= n ? 0 : leadingInt(this.buf, n, space + 1) * pageSize();
    } catch {
      return 0; // the engine has gone
    }
  }
}
