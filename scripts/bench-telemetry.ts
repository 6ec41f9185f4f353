import { spawnSync } from 'node:child_process';
import { AGENT_URL, MACHINE_CORES } from '../src/run/engine-launch.js';
import { pairedEngines, type EngineVariant } from './lib/engine-pair.js';
import { median } from '../src/analysis/stats.js';
import { rangeText, type Row } from './lib/rows.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from '../src/run/soak.js';

/**
 * What the telemetry agent costs the engine: the same engine (default profile, `cached`,
 * --trace-gc-nvp in both) with and without the preloaded agent, the two side by side at the
 * same time on one fleet (pairedEngines: run in turn, this machine's run-to-run spread of ±15 %
 * buried the difference), both pinned to the machine's last core and the fleet to the others
 * (unpinned, where the scheduler put the fleet's threads made rounds read −1 % to +12 %); each
 * round's overhead is (with − without) ÷ without, and the row gives the median of the rounds
 * and their range. The two swap start order every round.
 */
/** Both engines on the last core, when there are two or more and taskset is there. */
const ENGINE_CPUS = MACHINE_CORES >= 2 && spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0 ? String(MACHINE_CORES - 1) : undefined;

export async function runTelemetryBench(repeats = 3, seconds = 15): Promise<Row[]> {
  const without: number[] = [];
  const withAgent: number[] = [];
  const overhead: number[] = [];
  const variants: EngineVariant[] = [
    { name: 'without', execArgv: ['--trace-gc-nvp'] },
    { name: 'with', execArgv: ['--trace-gc-nvp', `--import=${AGENT_URL}`] },
  ];
  for (let i = 0; i < repeats; i++) {
    const rows = await pairedEngines({ seconds: seconds + 7, variants: i % 2 ? [...variants].reverse() : variants, engineCpus: ENGINE_CPUS });
    const a = rows.find((r) => r.ingester === 'without')!.cpuMicrosPerSample;
    const b = rows.find((r) => r.ingester === 'with')!.cpuMicrosPerSample;
    without.push(a);
    withAgent.push(b);
    overhead.push((b - a) / a);
  }
  const a = median(without);
  const b = median(withAgent);
  // The instrument's own spread: two identical engines (no agent in either) the same way. An
  // overhead inside this range is not told apart from none.
  const control: number[] = [];
  const same: EngineVariant[] = [
    { name: 'a', execArgv: ['--trace-gc-nvp'] },
    { name: 'b', execArgv: ['--trace-gc-nvp'] },
  ];
  for (let i = 0; i < Math.max(2, Math.ceil(repeats / 2)); i++) {
    const rows = await pairedEngines({ seconds: seconds + 7, variants: i % 2 ? [...same].reverse() : same, engineCpus: ENGINE_CPUS });
    const x = rows.find((r) => r.ingester === 'a')!.cpuMicrosPerSample;
    control.push((rows.find((r) => r.ingester === 'b')!.cpuMicrosPerSample - x) / x);
  }
  // The agent also times its own callbacks on the engine's main thread, in every soak: a direct
  // measurement, free of the run-to-run noise of the A/B above.
  const self: Row[] = [];
  for (const interval of [5, 1]) {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-bench-telemetry-'));
    const r = await runSoak({ profile: 'default', intervalSeconds: interval, durationSeconds: seconds, warmupSeconds: 8, out });
    rmSync(out, { recursive: true, force: true });
    const t = r.summary.telemetry;
    self.push({
      bench: 'telemetry',
      subject: 'agent, self-timed in a soak',
      input: `default profile at ${Math.round(r.summary.load.expectedSamplesPerSecond / 1000)}k samples/s, ${seconds} s`,
      note: `**${((t.agentCpuShare ?? NaN) * 100).toFixed(2)} %** of engine CPU (${t.agentMsPerSecond} ms/s of its main thread; engine ${r.summary.cpu.usPerSample} µs/sample)`,
    });
  }
  return [
    ...self,
    {
      bench: 'telemetry',
      subject: 'engine without / with the agent, side by side',
      input: `default profile, cached, ${repeats} rounds of ${seconds + 7} s, both engines at once on one fleet${ENGINE_CPUS === undefined ? '' : `, both on CPU ${ENGINE_CPUS}, the fleet on the rest`}`,
      note:
        `**overhead ${(median(overhead) * 100).toFixed(1)} %** of engine CPU (median of the rounds' paired differences; range ${rangeText(overhead, 1, 100)} %): ` +
        `${a.toFixed(3)} µs/sample without (${rangeText(without)}), ${b.toFixed(3)} with (${rangeText(withAgent)}), medians; ` +
        `the same pairing of two identical engines (A/A, ${control.length} rounds) read ${rangeText(control, 1, 100)} % apart (median ${(median(control) * 100).toFixed(1)} %): an overhead inside that is not told apart from none`,
    },
  ];
}
