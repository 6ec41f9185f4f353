import { visible } from '../common/terminal-text.js';
import { liveLine } from '../report/terminal.js';
import { fmtRate } from '../capacity/ramp.js';
import { runCapacity, type CapacityOutput, type CapacityParts, type CapacityRun } from '../capacity/run.js';
import type { CapacityOptions } from '../capacity/run-options.js';
import type { StepResult } from '../capacity/types.js';
import { interruptible } from './interruptible.js';

/**
 * `promsoak capacity`: the search per core count with an ora spinner, one line per judged step,
 * and the answer at the end. Ctrl-C ends the soak in progress: the finished steps are kept and
 * capacity.json / capacity.html written from them (exit 130; a second Ctrl-C abandons).
 */
export async function capacityCommand(o: CapacityOptions, parts: CapacityParts & CapacityOutput, log: (line: string) => void): Promise<number> {
  const stop = interruptible('checking the flags, starting the fleet and the system…', 'stopping: keeping the finished steps, writing capacity.json (Ctrl-C again to abandon)…');
  const { spinner } = stop;
  const say = (line: string): void => {
    spinner.clear();
    process.stderr.write(`${visible(line)}\n`);
    if (spinner.isEnabled) spinner.render();
  };
  let status = '';
  try {
    const run = await runCapacity(o, parts, {
      interrupt: stop.interrupted,
      onStatus: (l) => {
        status = l;
        spinner.text = l;
        if (!spinner.isEnabled) say(l);
      },
      onStep: (cores, r) => say(stepLine(cores, r)),
      onProgress: (p) => {
        if (spinner.isEnabled) spinner.text = `${status} · ${liveLine(p)}`;
      },
    });
    spinner.stop();
    for (const line of parts.write(run)) log(line);
    return exitCode(run, stop.signal());
  } catch (e) {
    spinner.stop();
    throw e;
  } finally {
    stop.dispose();
  }
}

/**
 * 130 (143 for SIGTERM) interrupted; 1 when the system exited or a core count found nothing (failed
 * at the first step, or the generator ran out there: no load measured); else 0.
 */
export function exitCode(run: CapacityRun, signal?: NodeJS.Signals): number {
  if (run.interrupted) return signal === 'SIGTERM' ? 143 : 130;
  if (run.perCores.some((c) => c.soakExitCode !== 0)) return Math.max(...run.perCores.map((c) => c.soakExitCode));
  const nothing = (o: CapacityRun['perCores'][number]['outcome']): boolean => o.kind === 'none' || (o.kind === 'generator' && o.samplesPerSecond === null);
  return run.perCores.some((c) => nothing(c.outcome)) ? 1 : 0;
}

/** One judged step, numbered as capacity.json and the steps table do: "1 core: step #3 (geometric) 40 exporters, 400 samples/s: FAIL ingested 82.1 % …". */
export function stepLine(cores: number, r: StepResult): string {
  const head = `${cores} core${cores === 1 ? '' : 's'}: step #${r.index} (${r.plan.phase}) ${r.plan.load.exporters} exporters, ${fmtRate(r.plan.load.offeredSamplesPerSecond)} samples/s offered`;
  const f = r.figures;
  const seen = `ingested ${(f.ingestedRatio * 100).toFixed(1)} %, CPU p99 ${f.cpuP99Cores.toFixed(2)} cores, RSS ${(f.peakRssBytes / 2 ** 20).toFixed(0)} MiB`;
  if (r.spoiled) return `${head}: spoiled, repeated (${r.spoiled})`;
  if (r.generatorSaturated) return `${head}: the load generator ran out (${r.generatorSaturated})`;
  return r.pass ? `${head}: pass (${seen})` : `${head}: FAIL ${r.failed.map((x) => x.words).join('; ')}`;
}
