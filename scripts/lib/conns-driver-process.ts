import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchChildren, Child } from './bench-children.js';
import type { DriverStats } from './conns-driver.js';

const DRIVER = join(fileURLToPath(import.meta.url), '..', 'conns-driver.js');

/** conns-driver.js as a child process (pinned with taskset), asked for its figures over stdin/stdout. */
export interface ConnsDriver {
  child: Child;
  targets: number;
  /** Its counters; `reset` also starts its latency histogram again. */
  stats(reset?: boolean): Promise<DriverStats>;
}

export async function startConnsDriver(children: BenchChildren, o: { fileSd: string; intervalSeconds: number; cpus?: string; maxSeconds: number }): Promise<ConnsDriver> {
  const argv = [process.execPath, DRIVER, '--file-sd', o.fileSd, '--interval', String(o.intervalSeconds), '--max-seconds', String(Math.ceil(o.maxSeconds))];
  const child = children.spawn(argv, o.cpus, 'pipe');
  const waiting: { resolve(x: DriverStats): void; reject(e: Error): void }[] = [];
  let onReady: ((targets: number) => void) | undefined;
  const gone = (why: string): Error => new Error(`bench driver ${why}: ${child.tail().slice(-500).trim()}`);
  createInterface({ input: child.child.stdout! }).on('line', (line) => {
    let msg: { event?: string; targets?: number; message?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.event === 'ready') onReady?.(Number(msg.targets));
    else if (msg.event === 'stats') waiting.shift()?.resolve(msg as DriverStats);
    else if (msg.event === 'error') waiting.shift()?.reject(gone(String(msg.message)));
  });
  const targets = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(gone('said nothing within 30 s')), 30_000);
    onReady = (n) => {
      clearTimeout(timer);
      resolve(n);
    };
    child.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(gone(`exited (code ${code})`));
      for (const w of waiting.splice(0)) w.reject(gone(`exited (code ${code})`));
    });
  });
  return {
    child,
    targets,
    stats: (reset = false) =>
      new Promise<DriverStats>((resolve, reject) => {
        if (child.child.exitCode !== null || child.child.signalCode !== null) return reject(gone('has exited'));
        waiting.push({ resolve, reject });
        child.child.stdin!.write(reset ? 'reset\n' : 'stats\n');
      }),
  };
}
