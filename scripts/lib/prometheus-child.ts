import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { scrapeConfig } from '../../src/run/target-kinds.js';
import type { BenchChildren, Child } from './bench-children.js';

/**
 * Debian's Prometheus scraping a fleet's file_sd: its config (one job, scrape_timeout = the
 * interval), a tsdb under `dir`, `--web.listen-address=127.0.0.1:0` (the port it took is read
 * from its "Listening on" log line), and instant queries of its own series (`up`,
 * `scrape_duration_seconds`) to tell whether it scraped every target and how long scrapes took.
 */
export interface PrometheusChild {
  child: Child;
  url: string;
  /** The first value of an instant query's result; NaN for an empty result. */
  query(expr: string): Promise<number>;
}

export async function startPrometheus(
  children: BenchChildren,
  o: { binary: string; fileSd: string; intervalSeconds: number; dir: string; cpus?: string; startTimeoutMs?: number },
): Promise<PrometheusChild> {
  const config = join(o.dir, 'prometheus.yml');
  writeFileSync(config, scrapeConfig({ fileSd: o.fileSd, intervalSeconds: o.intervalSeconds, timeoutSeconds: o.intervalSeconds }));
  const argv = [o.binary, `--config.file=${config}`, `--storage.tsdb.path=${join(o.dir, 'tsdb')}`, '--web.listen-address=127.0.0.1:0'];
  const child = children.spawn(argv, o.cpus);
  const timeoutMs = o.startTimeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => fail(`did not say which port it listens on within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      void child.stop();
      reject(new Error(`prometheus ${why}: ${child.tail().slice(-500).trim()}`));
    };
    child.child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
      const m = /msg="Listening on" address=(127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
    child.child.once('exit', (code, signal) => fail(`exited at start (${signal ?? `exit code ${code}`})`));
  });
  const query = async (expr: string): Promise<number> => {
    const r = await request(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = (await r.body.json()) as { status?: string; data?: { result?: { value?: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`prometheus query ${expr}: ${JSON.stringify(body).slice(0, 200)}`);
    const v = body.data?.result?.[0]?.value?.[1];
    return v === undefined ? NaN : Number(v);
  };
  return { child, url, query };
}
