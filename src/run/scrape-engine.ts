import { isPromsoakError, PromsoakError } from '../common/errors.js';
import { startEngineChild, type EngineChild } from './engine-child.js';
import type { SoakRecorder } from './recorder.js';
import type { RunDir } from './run-dir.js';
import type { SoakPlan } from './soak-plan.js';
import { heapExecArgv } from './heap-diagnostics.js';

/**
 * Forks a soak's engine child to scrape `fileSd` (or, pushed, to receive on a free loopback
 * port), with the agent and the GC trace recorded by `rec` (and a heap snapshot near the heap
 * limit unless the plan says not); resolves once it is scraping. A start that fails says why in
 * one line: the engine's own last stderr line (a bad V8 flag, a missing module) and where its log is.
 */
export async function startSoakEngine(plan: SoakPlan, dir: RunDir, fileSd: string, rec: SoakRecorder, o: { bodyLimitBytes?: number; nodePath?: string; phaseOffsetMs?: number } = {}): Promise<EngineChild> {
  const profile = plan.profile;
  const base = { intervalSeconds: profile.scrapeIntervalSeconds, timeoutSeconds: profile.scrapeTimeoutSeconds, ingester: plan.ingester };
  try {
    return await startEngineChild({
      options: plan.push ? { ...base, receivePort: 0 } : { ...base, targetsFile: fileSd, bodyLimitBytes: o.bodyLimitBytes, phaseOffsetMs: o.phaseOffsetMs },
      execArgv: [...plan.launch.execArgv, ...heapExecArgv(plan.heap, dir.path)],
      prefix: plan.launch.prefix,
      nodePath: o.nodePath,
      env: Object.keys(plan.target.env).length ? { ...process.env, ...plan.target.env } : undefined,
      stdout: 'pipe',
      stderr: 'pipe',
      onSpawn: (child) => rec.attach(child),
      onAgent: (m) => rec.onAgent(m),
      statsEveryMs: 0,
    });
  } catch (e) {
    const why = rec.lastStderrLine();
    throw new PromsoakError(isPromsoakError(e) ? e.code : 'PROMSOAK_ENGINE_START', `${(e as Error).message}${why ? `: ${why}` : ''} (engine log: ${dir.file('engine.stderr.log')})`);
  }
}
