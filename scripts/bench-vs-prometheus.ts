/**
 * The engine against Debian's Prometheus, side by side on one fleet:
 * `node dist/scripts/bench-vs-prometheus.js [--rounds 3] [--duration 30] [--load 40k|300k]`
 * (rows of `npm run bench`'s engine bench).
 *
 * One `promsoak fleet` serves both; `promsoak run --fleet <it>` soaks the built-in engine and
 * `promsoak run --fleet <it> --target prometheus` soaks Prometheus 2.42, both at the same time,
 * each a CLI process as a user runs it. Each soak's µs of CPU per sample (all its threads,
 * /proc, over the measured window) is read from its summary.json; a round's ratio is
 * Prometheus's ÷ the engine's. Run in turn (`compare --target builtin,prometheus`) the two
 * read different seconds of a machine whose run-to-run spread is ±15 %; run together they
 * share them, so the ratio is steadier than either figure. The two swap start order every
 * round. Loads: 40k samples/s (1000 exporters every 5 s) and 300k (1500 every 1 s).
 * Rows are empty (a visible skip) when prometheus is not installed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIfMain, scriptArgs } from './lib/script-cli.js';
import { median } from '../src/analysis/stats.js';
import type { Summary } from '../src/analysis/summary.js';
import { resolveBinary } from '../src/run/target-process.js';
import { markdownTable, rangeText, type Row } from './lib/rows.js';
import { spawnShard } from './lib/shard-process.js';

const CLI = join(fileURLToPath(import.meta.url), '..', '..', 'src', 'cli.js');

export interface Load {
  name: string;
  exporters: number;
  intervalSeconds: number;
}

export const LOADS: Record<string, Load> = {
  '40k': { name: '40k', exporters: 1000, intervalSeconds: 5 },
  '300k': { name: '300k', exporters: 1500, intervalSeconds: 1 },
};

interface Round {
  builtin: Summary;
  prometheus: Summary;
}

/** `promsoak run <args>` as a user runs it; its summary.json. */
function soak(args: string[], out: string): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('exit', (code) => {
      const dir = readdirSync(out).find((d) => !d.startsWith('.'));
      if (code !== 0 || dir === undefined) return reject(new Error(`promsoak run ${args.join(' ')}: exit ${code}: ${err}`));
      resolve(JSON.parse(readFileSync(join(out, dir, 'summary.json'), 'utf8')) as Summary);
    });
  });
}

export async function runVsPrometheus(load: Load, rounds = 3, durationSeconds = 30): Promise<Round[]> {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-bench-vs-'));
  const fleet = await spawnShard(['default', '--exporters', String(load.exporters), '--out', join(dir, 'fleet')]);
  try {
    const result: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const common = ['--fleet', fleet.url, '--interval', String(load.intervalSeconds), '--duration', String(durationSeconds), '--warmup', String(load.intervalSeconds + 10)];
      const runs = [
        { name: 'builtin', args: common },
        { name: 'prometheus', args: [...common, '--target', 'prometheus'] },
      ];
      if (r % 2 === 1) runs.reverse();
      const summaries = await Promise.all(runs.map((x, i) => new Promise<void>((res) => setTimeout(res, i * 100)).then(() => soak(x.args, join(dir, `${r}-${x.name}`)))));
      const by = Object.fromEntries(runs.map((x, i) => [x.name, summaries[i]!]));
      result.push({ builtin: by.builtin!, prometheus: by.prometheus! });
    }
    return result;
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function vsRow(load: Load, rounds: Round[], durationSeconds: number): Row {
  const us = (s: Summary): number => s.cpu.usPerSample ?? NaN;
  const ratios = rounds.map((r) => us(r.prometheus) / us(r.builtin));
  const b = rounds.map((r) => us(r.builtin));
  const p = rounds.map((r) => us(r.prometheus));
  const rate = median(rounds.map((r) => r.builtin.samplesPerSecond.mean));
  const fleetCores = median(rounds.map((r) => r.builtin.fleet.cpuCores ?? NaN));
  return {
    bench: 'engine',
    subject: 'engine child vs Debian Prometheus 2.42, side by side',
    input: `default profile fleet, ${load.exporters} targets every ${load.intervalSeconds} s (${Math.round(rate / 1000)}k samples/s each), ${rounds.length} rounds of ${durationSeconds} s, both at once on one fleet`,
    note:
      `**Prometheus uses ${median(ratios).toFixed(1)}× the engine's CPU per sample** (median of the rounds' ratios; range ${rangeText(ratios, 1)}): ` +
      `engine ${median(b).toFixed(3)} µs/sample (${rangeText(b)}), Prometheus ${median(p).toFixed(3)} (${rangeText(p)}); the fleet ${fleetCores.toFixed(2)} cores serving both` +
      (rounds.some((r) => r.builtin.fleet.saturated || r.prometheus.fleet.saturated) ? ' (SATURATED in a round: the ratio is not trustworthy)' : ''),
  };
}

export async function runVsPrometheusBench(loads = ['40k', '300k'], rounds = 3, durationSeconds = 30): Promise<Row[]> {
  try {
    resolveBinary('prometheus', 'prometheus');
  } catch {
    process.stderr.write('bench: engine vs prometheus skipped: Debian prometheus is not installed\n');
    return [];
  }
  const rows: Row[] = [];
  for (const name of loads) {
    const load = LOADS[name]!;
    rows.push(vsRow(load, await runVsPrometheus(load, rounds, durationSeconds), durationSeconds));
  }
  return rows;
}

async function main(): Promise<void> {
  const { val, usage } = scriptArgs('bench-vs-prometheus');
  const loads = val('--load')?.split(',') ?? ['40k', '300k'];
  const rounds = Number(val('--rounds') ?? 3);
  const duration = Number(val('--duration') ?? 30);
  const bad = loads.find((l) => !LOADS[l]);
  if (bad !== undefined) usage(`--load ${bad}: one of ${Object.keys(LOADS).join(', ')}`);
  if (!(Number.isInteger(rounds) && rounds >= 1)) usage(`--rounds ${val('--rounds')}: a whole number ≥ 1`);
  if (!(duration > 0)) usage(`--duration ${val('--duration')}: seconds > 0`);
  const rows = await runVsPrometheusBench(loads, rounds, duration);
  process.stdout.write(markdownTable(rows) + '\n');
}

runIfMain(import.meta.url, 'bench-vs-prometheus', main);
