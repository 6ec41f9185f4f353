import { AGENT_URL } from '../src/run/engine-launch.js';
import { benchEndToEnd } from './bench-engine.js';
import { median } from '../src/analysis/stats.js';
import type { Row } from './lib/rows.js';

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
  return [
    {
      bench: 'telemetry',
      subject: 'engine without / with the agent',
      input: `default profile, cached, ${repeats}×${seconds} s interleaved`,
      note: `**overhead ${(((b - a) / a) * 100).toFixed(1)} %** of engine CPU: ${a.toFixed(3)} µs/sample without (${spread(without)}), ${b.toFixed(3)} with (${spread(withAgent)}), medians`,
    },
  ];
}
