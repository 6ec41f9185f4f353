import { startEngine } from '../engine/engine.js';
import type { EngineOptions, EngineStats } from '../protocol/engine.js';
import { seconds } from '../common/options.js';
import { waitForStop } from './fleet.js';

export { startEngineChild, type EngineChild, type EngineChildOptions } from '../run/engine-child.js';

export interface EngineCommandOptions extends EngineOptions {
  /** Stop after this many seconds (default: on SIGINT/SIGTERM). */
  duration?: number;
}

/**
 * `promsoak engine`: the engine alone, in this process, against file_sd targets; one line a
 * second on stderr (stdout stays free for V8's --trace-gc-nvp output).
 */
export async function engineCommand(o: EngineCommandOptions, log: (line: string) => void = (l) => void process.stderr.write(l + '\n')): Promise<EngineStats> {
  // Before the engine starts: a --duration of -5 ran for no time and exited 0.
  seconds('--duration', o.duration);
  const engine = await startEngine(o);
  log(
    `promsoak engine: ${engine.targets.length} targets${o.targetsFile ? ` from ${o.targetsFile}` : ''}, every ${engine.intervalSeconds}s, ingester ${engine.ingesterName}` +
      (engine.metricsUrl ? `, self-metrics at ${engine.metricsUrl}` : '') +
      (engine.writeUrl ? `, receiving remote write at ${engine.writeUrl}` : ''),
  );
  let prev = engine.stats();
  const timer = setInterval(() => {
    const s = engine.stats();
    log(progressLine(prev, s));
    prev = s;
  }, 1000);
  await waitForStop(o.duration);
  clearInterval(timer);
  await engine.close();
  const s = engine.stats();
  log(
    `promsoak engine stopped: ${s.samples} samples from ${s.scrapesOk} scrapes (${s.scrapesFailed} failed, ${s.scrapesSkipped} skipped), ` +
      `${s.series} series, ${s.targetsUp}/${s.targets} targets up` +
      (s.writeRequestsOk !== undefined ? `, remote write ${s.writeRequestsOk} requests stored / ${s.writeRequestsRejected} rejected` : ''),
  );
  for (const t of engine.targetStatus()) if (t.health === 'down') log(`  down: ${t.target}: ${t.lastError}`);
  return s;
}

/** One progress line from two stats frames. */
export function progressLine(prev: EngineStats, s: EngineStats): string {
  const dt = Math.max(1e-3, (s.timeMs - prev.timeMs) / 1000);
  const cpuMicros = s.cpuUserMicros + s.cpuSystemMicros - prev.cpuUserMicros - prev.cpuSystemMicros;
  const samples = s.samples - prev.samples;
  return (
    `${Math.round(samples / dt)} samples/s, scrapes ${s.scrapesOk - prev.scrapesOk} ok / ${s.scrapesFailed - prev.scrapesFailed} failed, ` +
    `${s.series} series, ${s.targetsUp}/${s.targets} up, head ${(s.headBytes / 1048576).toFixed(1)} MiB, ` +
    `cpu ${((cpuMicros / 1e6 / dt) * 100).toFixed(0)}%` +
    (s.writeRequestsOk !== undefined
      ? `, remote write ${s.writeRequestsOk - (prev.writeRequestsOk ?? 0)} stored / ${(s.writeRequestsRejected ?? 0) - (prev.writeRequestsRejected ?? 0)} rejected`
      : '') +
    (samples > 0 ? ` (${(cpuMicros / samples).toFixed(2)} µs/sample)` : '')
  );
}
