import { AGENT_URL, has, MACHINE_CORES } from '../src/run/engine-launch.js';
import { pairedEngines, type EndToEndRow, type EngineVariant } from './lib/engine-pair.js';
import { mean, meanHalfWidth95, median } from '../src/analysis/stats.js';
import { rangeText, type Row } from './lib/rows.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from '../src/run/soak.js';

/**
 * What the telemetry agent costs the engine: the same engine (default profile, `cached`,
 * --trace-gc-nvp in all) with and without the preloaded agent, side by side at the same time on
 * one fleet (pairedEngines: run in turn, this machine's run-to-run spread of ±15 % buried the
 * difference), all pinned to the machine's last core and the fleet to the others (unpinned,
 * where the scheduler put the fleet's threads made rounds read −1 % to +12 %).
 * Each round runs three engines: without the agent, its twin (also without: the A/A control,
 * measured in the same seconds), and with it; the three rotate start order and scrape phases
 * from round to round. A round's overhead is (with − without) ÷ without, its control
 * (twin − without) ÷ without, in engine CPU per sample: the process's, and its main thread's
 * (where the agent runs; the other threads' CPU is mostly V8's concurrent marking, and whether a
 * mark-compact falls in one engine's window and not its twin's moves a round by ±5 %).
 * The window opens after WARMUP_S: V8 compiles and marks for some 20 s after start-up (the
 * other threads used ~110 ns/sample from 7 s to 22 s, ~5 from 20 s on, outside mark-compacts),
 * and a window over it measured the warm-up's timing, not the agent. The row gives the mean of
 * the rounds with its 95 % confidence interval, the twin's next to it: what no overhead reads.
 */
const WARMUP_S = 20;
/** Every engine on the last core, when there are two or more and taskset is there. */
const ENGINE_CPUS = MACHINE_CORES >= 2 && has('taskset') ? String(MACHINE_CORES - 1) : undefined;

export async function runTelemetryBench(rounds = 12, seconds = 15): Promise<Row[]> {
  const without: number[] = [];
  const withAgent: number[] = [];
  const overhead: number[] = [];
  const control: number[] = [];
  const overheadMain: number[] = [];
  const controlMain: number[] = [];
  const variants: EngineVariant[] = [
    { name: 'without', execArgv: ['--trace-gc-nvp'] },
    { name: 'twin', execArgv: ['--trace-gc-nvp'] },
    { name: 'with', execArgv: ['--trace-gc-nvp', `--import=${AGENT_URL}`] },
  ];
  for (let i = 0; i < rounds; i++) {
    const order = variants.map((_, k) => variants[(k + i) % variants.length]!);
    const rows = await pairedEngines({ seconds: WARMUP_S + seconds, warmupSeconds: WARMUP_S, variants: order, engineCpus: ENGINE_CPUS });
    const row = (name: string): EndToEndRow => rows.find((r) => r.ingester === name)!;
    const [a, twin, b] = [row('without'), row('twin'), row('with')];
    without.push(a.cpuMicrosPerSample);
    withAgent.push(b.cpuMicrosPerSample);
    overhead.push((b.cpuMicrosPerSample - a.cpuMicrosPerSample) / a.cpuMicrosPerSample);
    control.push((twin.cpuMicrosPerSample - a.cpuMicrosPerSample) / a.cpuMicrosPerSample);
    // The main thread's difference, over the same whole (the process's CPU without the agent).
    if (a.mainCpuMicrosPerSample !== undefined && b.mainCpuMicrosPerSample !== undefined && twin.mainCpuMicrosPerSample !== undefined) {
      overheadMain.push((b.mainCpuMicrosPerSample - a.mainCpuMicrosPerSample) / a.cpuMicrosPerSample);
      controlMain.push((twin.mainCpuMicrosPerSample - a.mainCpuMicrosPerSample) / a.cpuMicrosPerSample);
    }
  }
  const pct = (a: number[]): string => `${(mean(a) * 100).toFixed(1)} % ± ${(meanHalfWidth95(a) * 100).toFixed(1)}`;
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
      input: `default profile, cached, ${rounds} rounds of ${seconds} s after ${WARMUP_S} s, three engines at once on one fleet (without, its twin, with)${ENGINE_CPUS === undefined ? '' : `, all on CPU ${ENGINE_CPUS}, the fleet on the rest`}`,
      note:
        `**overhead ${pct(overhead)}** of engine CPU (mean of the rounds' paired differences, 95 % confidence; median ${(median(overhead) * 100).toFixed(1)} %, range ${rangeText(overhead, 1, 100)} %)` +
        (overheadMain.length ? `, **${pct(overheadMain)}** on its main thread` : '') +
        `: ${median(without).toFixed(3)} µs/sample without (${rangeText(without)}), ${median(withAgent).toFixed(3)} with (${rangeText(withAgent)}), medians; ` +
        `the twin without the agent, in the same rounds (A/A), read **${pct(control)}**${controlMain.length ? `, ${pct(controlMain)} on its main thread` : ''} (range ${rangeText(control, 1, 100)} %): what no overhead reads on this instrument`,
    },
  ];
}
