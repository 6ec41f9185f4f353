/**
 * The bench's load tool shaped like a scraper (bench-fleet-scrapers.ts starts it pinned to its
 * own core): one keep-alive connection per target of a file_sd file, each scraped once per
 * interval at its own phase, spread evenly over the interval (target i at i/N of it), with
 * Prometheus 2.42's request headers; every response read whole by Content-Length and its
 * latency recorded in an HDR histogram.
 *
 * `node conns-driver.js --file-sd <file> --interval <s> [--max-seconds 900]`
 *
 * It prints one JSON line `{"event":"ready","targets":N}`, then answers each line on stdin:
 * `stats` with a `DriverStats` line (counters since the start; latency since the last `reset`),
 * `reset` likewise, after which the latency histogram starts again. It exits when stdin closes
 * (the bench is gone), on SIGTERM/SIGINT, or after --max-seconds whatever happens.
 * Only loopback targets are scraped: any other host in the file is refused in one line (exit 2).
 */
import { createInterface } from 'node:readline';
import * as hdr from 'hdr-histogram-js';
import { PromsoakError } from '../../src/common/errors.js';
import { readFileSd } from '../../src/engine/targets.js';
import { ScrapeConn } from './scrape-conn.js';
import { runIfMain, scriptArgs } from './script-cli.js';

export interface DriverStats {
  event: 'stats';
  atMs: number;
  targets: number;
  /** Targets that have answered at least one scrape with a 2xx. */
  answeredTargets: number;
  /** Scrapes sent, whole 2xx responses, and failures (non-2xx, connection, timeout, bad response). */
  sent: number;
  responses: number;
  failures: number;
  bodyBytes: number;
  /** Scrapes sent over 100 ms after their due time: the driver itself falling behind. */
  late: number;
  lastFailure: string | null;
  /** This process's CPU since it started (process.cpuUsage), µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Latency of the responses since the last reset, µs (NaN with none). */
  latency: { count: number; p50Us: number; p99Us: number; maxUs: number };
}

/** Targets over this are refused: the fleet serves at most 100,000 exporters. */
const MAX_TARGETS = 100_000;
const LATE_MS = 100;

interface Target {
  host: string;
  port: number;
  path: string;
}

/** The file's targets as host, port and path; only http on loopback. */
export function loopbackTargets(fileSd: string): Target[] {
  const targets = readFileSd(fileSd);
  if (targets.length === 0) throw new PromsoakError('PROMSOAK_TARGETS_INVALID', `${fileSd} lists no targets`);
  if (targets.length > MAX_TARGETS) throw new PromsoakError('PROMSOAK_TARGETS_INVALID', `${fileSd} lists ${targets.length} targets; the driver opens at most ${MAX_TARGETS} connections`);
  return targets.map((t) => {
    const u = new URL(t.origin);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (u.protocol !== 'http:' || !(/^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1')) {
      throw new PromsoakError('PROMSOAK_TARGETS_INVALID', `${fileSd}: target ${t.id} is not http on loopback (127.0.0.1 or ::1): the bench driver loads only this machine`);
    }
    return { host, port: Number(u.port), path: t.path };
  });
}

export function startDriver(targets: Target[], intervalSeconds: number, write: (line: string) => void): { stats(reset: boolean): DriverStats; stop(): void } {
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const answered = new Uint8Array(targets.length);
  const c = { sent: 0, responses: 0, failures: 0, bodyBytes: 0, late: 0, answeredTargets: 0, lastFailure: null as string | null };
  const conns = targets.map(
    (t, i) =>
      new ScrapeConn(t.host, t.port, t.path, intervalSeconds, {
        done(status, bytes, micros) {
          if (status < 200 || status > 299) return this.failed(`HTTP ${status}`);
          c.responses++;
          c.bodyBytes += bytes;
          hist.recordValue(micros);
          if (answered[i] === 0) {
            answered[i] = 1;
            c.answeredTargets++;
          }
        },
        failed(why) {
          c.failures++;
          c.lastFailure = `${t.host}:${t.port}${t.path}: ${why}`;
        },
      }),
  );
  // Target i is due at t0 + round·interval + i·interval/N: one timer, woken for the next due target.
  const n = conns.length;
  const intervalMs = intervalSeconds * 1000;
  const t0 = performance.now() + 10;
  let round = 0;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const due = (): number => t0 + round * intervalMs + (next * intervalMs) / n;
  const tick = (): void => {
    const now = performance.now();
    for (let d = due(); d <= now; d = due()) {
      if (now - d > LATE_MS) c.late++;
      c.sent++;
      conns[next]!.scrape();
      if (++next === n) {
        next = 0;
        round++;
      }
    }
    timer = setTimeout(tick, Math.max(0, due() - performance.now()));
  };
  timer = setTimeout(tick, 10);
  write(JSON.stringify({ event: 'ready', targets: n }));
  return {
    stats(reset) {
      const cpu = process.cpuUsage();
      const count = hist.totalCount;
      const s: DriverStats = {
        event: 'stats',
        atMs: Date.now(),
        targets: n,
        ...c,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        latency: {
          count,
          p50Us: count ? hist.getValueAtPercentile(50) : NaN,
          p99Us: count ? hist.getValueAtPercentile(99) : NaN,
          maxUs: count ? hist.maxValue : NaN,
        },
      };
      if (reset) hist.reset();
      return s;
    },
    stop() {
      clearTimeout(timer);
      for (const conn of conns) conn.close();
    },
  };
}

async function main(): Promise<void> {
  const { val, num, usage } = scriptArgs('conns-driver');
  const fileSd = val('--file-sd') ?? usage('--file-sd <file> is required');
  const interval = num('--interval') ?? usage('--interval <seconds> is required');
  const maxSeconds = num('--max-seconds') ?? 900;
  if (!(interval >= 0.1 && interval <= 3600)) usage(`--interval ${val('--interval')}: seconds from 0.1 to 3600`);
  if (!(maxSeconds > 0 && maxSeconds <= 86_400)) usage(`--max-seconds ${val('--max-seconds')}: seconds from 1 to 86400`);
  const write = (line: string): void => void process.stdout.write(line + '\n');
  const driver = startDriver(loopbackTargets(fileSd), interval, write);
  const exit = (): never => {
    driver.stop();
    process.exit(0);
  };
  setTimeout(exit, maxSeconds * 1000).unref();
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats' || cmd === 'reset') write(JSON.stringify(driver.stats(cmd === 'reset')));
    else write(JSON.stringify({ event: 'error', message: `unknown command ${JSON.stringify(cmd.slice(0, 40))}: stats or reset` }));
  });
  lines.on('close', exit);
}

runIfMain(import.meta.url, 'conns-driver', main);
