import { AGENT_URL } from '../src/run/engine-launch.js';
import { benchEndToEnd } from './bench-engine.js';
import { median } from '../src/analysis/stats.js';
import type { Row } from './lib/rows.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from '../src/run/soak.js';

/**
 * What the telemetry agent costs the engine: the same fleet and engine (default profile,
 * `cached`, --trace-gc-nvp in both), with and without the preloaded agent, in interleaved
 * order (A B A B …) to spread the machine's noise; engine CPU per sample, median of repeats.
 */
export async function runTelemetryBench(repeats = 3, seconds = 15): Promise<Row[]> {
  const without: number[] = [];
  const withAgent: number[] = [];
  for (let i = 0; i < repeats; i++) {
    for (const agent of [false, true]) {
      const execArgv = ['--trace-gc-nvp', ...(agent ? [`--import=${AGENT_URL}`] : [])];
      const [row] = await benchEndToEnd({ seconds, ingesters: ['cached'], execArgv });
      (agent ? withAgent : without).push(row!.cpuMicrosPerSample);
    }
  }
  const a = median(without);
  const b = median(withAgent);
  const spread = (v: number[]): string => `${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)}`;
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
      subject: 'engine without / with the agent',
      input: `default profile, cached, ${repeats}×${seconds} s interleaved`,
      note: `**overhead ${(((b - a) / a) * 100).toFixed(1)} %** of engine CPU: ${a.toFixed(3)} µs/sample without (${spread(without)}), ${b.toFixed(3)} with (${spread(withAgent)}), medians`,
    },
  ];
}
