import { join } from 'node:path';
import { request } from 'undici';
import { readFleetStats, type FleetStats } from '../../src/protocol/fleet-stats.js';
import type { BenchChildren, Child } from './bench-children.js';

import { CLI } from './shard-process.js';

/**
 * `promsoak fleet <profile> … --port 0 --out <dir>` as a user runs it, driven only through what
 * it publishes: its ready line (the /stats URL), `<dir>/file_sd.json` and `GET /stats`.
 */
export interface FleetChild {
  child: Child;
  statsUrl: string;
  fileSd: string;
  stats(): Promise<FleetStats>;
}

export interface FleetChildOptions {
  profile: string;
  exporters: number;
  threads: number;
  out: string;
  /** taskset CPU list for the fleet. */
  cpus?: string;
  /** Its --duration: it stops itself after this long, the bench gone or not. */
  maxSeconds: number;
  readyTimeoutMs?: number;
}

export async function startFleetChild(children: BenchChildren, o: FleetChildOptions): Promise<FleetChild> {
  const argv = [process.execPath, CLI, 'fleet', o.profile, '--exporters', String(o.exporters), '--threads', String(o.threads), '--port', '0', '--out', o.out, '--duration', String(Math.ceil(o.maxSeconds))];
  const child = children.spawn(argv, o.cpus);
  const timeoutMs = o.readyTimeoutMs ?? 60_000;
  const statsUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      void child.stop();
      reject(new Error(`promsoak fleet ${o.profile} --exporters ${o.exporters}: ${why}: ${child.tail().slice(-500).trim()}`));
    };
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-8000);
      const m = /\bready\b.*\bstats (http:\/\/\S+\/stats);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.child.stdout!.on('data', onData);
    child.child.stderr!.on('data', onData);
    child.child.once('exit', (code, signal) => fail(`exited at start (${signal ?? `exit code ${code}`})`));
  });
  const stats = async (): Promise<FleetStats> => {
    const r = await request(statsUrl, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = await r.body.json();
    const checked = readFleetStats(body);
    if (!checked.ok) throw new Error(`${statsUrl}: not a fleet's /stats: ${checked.why}`);
    return checked.stats;
  };
  return { child, statsUrl, fileSd: join(o.out, 'file_sd.json'), stats };
}
