/**
 * The engine child process's entry: `node [V8 flags] dist/src/engine/main.js`, forked with an
 * IPC channel (see child.ts). It waits for {type:'start'}, runs the engine, sends a stats
 * message every statsEveryMs when asked to, answers {type:'targets'} and {type:'retarget'}, and on {type:'stop'} (or when the parent
 * goes away) stops, sends {type:'stopped'} and exits. stdout is V8's (--trace-gc-nvp): this
 * file never writes to it; logs go to stderr.
 */
import { isPromsoakError } from '../common/errors.js';
import { startEngine, type Engine } from './engine.js';
import type { FromEngine, ToEngine } from '../protocol/engine.js';

const send = (m: FromEngine): void => {
  if (process.connected) process.send!(m);
};

if (!process.send) {
  process.stderr.write('promsoak engine: main.js is the engine child process; start it with an IPC channel (child.ts) or use `promsoak engine`\n');
  process.exit(2);
}

let engine: Engine | undefined;
let statsTimer: NodeJS.Timeout | undefined;
let stopping: Promise<void> | undefined;

function stop(): Promise<void> {
  return (stopping ??= (async () => {
    clearInterval(statsTimer);
    if (engine) {
      await engine.close();
      send({ type: 'stopped', stats: engine.stats(), targets: engine.targetStatus() });
    }
    process.disconnect?.();
  })());
}

function fatal(e: unknown): void {
  const err = e as Error & { code?: string };
  send({ type: 'error', code: isPromsoakError(e) ? e.code : err?.code, message: err?.message ?? String(e), fatal: true });
  process.stderr.write(`promsoak engine: ${err?.stack ?? String(e)}\n`);
  process.exitCode = isPromsoakError(e) ? e.exitCode : 1;
  process.disconnect?.();
  setTimeout(() => process.exit(), 500).unref();
}

process.on('message', (raw) => {
  const m = raw as ToEngine;
  switch (m.type) {
    case 'start':
      if (engine) return;
      startEngine(m.options).then(
        (e) => {
          engine = e;
          send({ type: 'ready', pid: process.pid, targets: e.targets.length, ingester: e.ingesterName, intervalSeconds: e.intervalSeconds, metricsUrl: e.metricsUrl, writeUrl: e.writeUrl });
          // Each stats message costs the engine its IPC send and stats() (the head's size): only when asked.
          if (m.statsEveryMs) statsTimer = setInterval(() => send({ type: 'stats', stats: e.stats() }), m.statsEveryMs);
        },
        fatal,
      );
      return;
    case 'targets':
      send({ type: 'targets', targets: engine?.targetStatus() ?? [] });
      return;
    case 'retarget':
      if (!engine) {
        send({ type: 'retargeted', targets: 0, error: { code: 'PROMSOAK_USAGE', message: 'retarget before the engine started' } });
        return;
      }
      try {
        send({ type: 'retargeted', targets: engine.retarget() });
      } catch (e) {
        const err = e as Error & { code?: string };
        send({ type: 'retargeted', targets: engine.targets.length, error: { code: isPromsoakError(e) ? e.code : err?.code, message: err?.message ?? String(e) } });
      }
      return;
    case 'stop':
      stop().catch(fatal);
      return;
  }
});

// The parent went away: stop rather than scrape forever as an orphan.
process.on('disconnect', () => {
  if (!stopping) stop().catch(() => undefined);
});
process.on('SIGTERM', () => stop().catch(fatal));
process.on('SIGINT', () => stop().catch(fatal));
