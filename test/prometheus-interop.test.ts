import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { which } from './helpers/tools.js';

const prometheus = which('prometheus');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function query(base: string, q: string): Promise<number | undefined> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const j = (await r.json()) as { data: { result: { value: [number, string] }[] } };
  const v = j.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

test(
  "Debian's prometheus scrapes a 200-exporter fleet through file_sd: every target up, every scrape complete",
  { skip: prometheus ? false : 'prometheus not installed (apt-get install prometheus)', timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-prom-'));
    const profile = { ...loadProfile('default'), exporters: 200 };
    const fleet = await startFleet({ profile, outDir: dir });
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        '  - job_name: promsoak',
        `    file_sd_configs: [{ files: ['${fleet.fileSd}'], refresh_interval: 1s }]`,
        '',
      ].join('\n'),
    );
    const prom = spawn(
      prometheus!,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prom.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
    const base = `http://127.0.0.1:${port}`;
    try {
      let up: number | undefined;
      let complete: number | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        await sleep(1000);
        try {
          up = await query(base, 'count(up == 1)');
          complete = await query(base, `count(scrape_samples_scraped == ${fleet.seriesPerExporter})`);
        } catch {
          continue; // not listening yet
        }
        if (up === 200 && complete === 200) break;
      }
      assert.equal(up, 200, `targets up; prometheus log tail:\n${log}`);
      assert.equal(complete, 200, 'every target scraped_samples == declared series');
      assert.equal(await query(base, 'count(up == 0)'), undefined, 'no target down');
      assert.equal(await query(base, 'max(scrape_samples_scraped)'), fleet.seriesPerExporter);
      // The series really landed in Prometheus's head under distinct instances.
      assert.equal(await query(base, 'count(count by (instance) (http_requests_total))'), 200);
      assert.ok(fleet.stats.scrapes >= 200);
      assert.equal(fleet.stats.errors, 0);
    } finally {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
