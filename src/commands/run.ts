import { runSoak } from '../run/soak.js';
import type { SoakOptions } from '../run/soak-plan.js';
import { liveLine, renderTerminal } from '../report/terminal.js';
import { visible } from '../common/terminal-text.js';
import { interruptible } from './interruptible.js';

/**
 * `promsoak run`: the soak with an ora spinner and a live line; Ctrl-C stops it early and
 * still writes the whole run directory (a second Ctrl-C kills the engine at once).
 */
export async function runCommand(o: Omit<SoakOptions, 'interrupt'>, log: (line: string) => void): Promise<number> {
  const stop = interruptible('starting the fleet and the engine…', 'stopping: writing the run directory (Ctrl-C again to abandon)…');
  const { spinner } = stop;
  if (o.heap?.signal) process.stderr.write(`heap snapshots on ${o.heap.signal}: kill -${o.heap.signal.slice(3)} ${process.pid}\n`);
  let lastPrinted = -1;
  try {
    // Printed once the soak has bound its port: the line a Prometheus or a curl needs.
    const onMetricsUrl = (url: string): void => {
      spinner.clear();
      process.stderr.write(`live metrics: ${url}\n`);
    };
    // A --fleet shard that stops answering (or comes back): one line, and the soak goes on.
    const onFleetEvent = (line: string): void => {
      spinner.clear();
      process.stderr.write(`promsoak: ${visible(line)}\n`);
    };
    const r = await runSoak({ onMetricsUrl, onFleetEvent, ...o, interrupt: stop.interrupted }, (p) => {
      spinner.text = liveLine(p);
      // Without a TTY (CI, pipes) the spinner is silent: one line every 10 s instead.
      if (!spinner.isEnabled && Math.floor(p.elapsedSeconds / 10) !== lastPrinted) {
        lastPrinted = Math.floor(p.elapsedSeconds / 10);
        process.stderr.write(liveLine(p) + '\n');
      }
    });
    spinner.stop();
    log(renderTerminal(r.summary, r.dir));
    if (r.summary.run.stopReason === 'engine-exited' && r.engineStderrTail) {
      log('\nthe engine exited; the end of its stderr:\n' + r.engineStderrTail.split('\n').slice(-20).join('\n'));
    }
    // Stopped by SIGTERM: 128 + 15, as a shell reports it (Ctrl-C's 130 is the soak's own).
    return r.exitCode === 130 && stop.signal() === 'SIGTERM' ? 143 : r.exitCode;
  } catch (e) {
    spinner.stop();
    throw e;
  } finally {
    stop.dispose();
  }
}
