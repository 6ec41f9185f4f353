import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isErrorCode, PromsoakError, type ErrorCode } from '../common/errors.js';
import type { Readable } from 'node:stream';
import type { FromAgent } from '../protocol/agent.js';
import { readAgentPipe } from './agent-pipe.js';
import { unwatchProcess, watchProcess } from './process-groups.js';
import type { EngineOptions, EngineStats, FromEngine, ReadyMessage, TargetStatus, ToEngine } from '../protocol/engine.js';

export interface EngineChildOptions {
  options: EngineOptions;
  /** Node/V8 flags for the child, e.g. ['--trace-gc-nvp', '--max-semi-space-size=16']. */
  execArgv?: string[];
  /** The child's stdout (V8's GC trace): 'pipe' to read it from `process.stdout`; default 'ignore'. */
  stdout?: 'pipe' | 'inherit' | 'ignore';
  /** Default 'inherit'. */
  stderr?: 'pipe' | 'inherit' | 'ignore';
  env?: NodeJS.ProcessEnv;
  /** Called with every stats frame (once a second). */
  onStats?: (stats: EngineStats) => void;
  /**
   * Commands the engine runs under, e.g. ['taskset', '-c', '0', 'stdbuf', '-oL']: the child is
   * then `prefix… node execArgv… main.js`, IPC intact (fork's execPath is the prefix's first word).
   */
  prefix?: string[];
  /** The Node binary the engine runs on (default: this one's). */
  nodePath?: string;
  /** Called right after the fork, before 'ready': attach listeners to the child here. */
  onSpawn?: (child: ChildProcess) => void;
  /** How long to wait for 'ready'; default 30 s. */
  startTimeoutMs?: number;
  /**
   * A preloaded telemetry agent's messages from its frame pipe (fd 4 of the child,
   * PROMSOAK_TELEMETRY_FD), its frames completed from the engine's /proc (agent-pipe.ts): without
   * this, a pipe is still given and what comes on it is read and dropped.
   */
  onAgent?: (m: FromAgent) => void;
  /** The engine's own stats message every this many ms (onStats, `latest`); 0: none. Default 1000. */
  statsEveryMs?: number;
}

export interface EngineChild {
  readonly process: ChildProcess;
  readonly ready: ReadyMessage;
  /** The latest stats frame. */
  readonly latest: EngineStats | undefined;
  /** Asks the engine for its per-target status. */
  targets(): Promise<TargetStatus[]>;
  /**
   * Has the engine re-read its targets file (capacity's dial rewrote it); resolves with the
   * targets it scrapes from now on; rejects with the engine's reason when it could not (its
   * targets then unchanged).
   */
  retarget(): Promise<number>;
  /** Stops the engine and waits for it to exit (killed after `timeoutMs`, default 10 s). */
  stop(timeoutMs?: number): Promise<{ stats: EngineStats; targets: TargetStatus[] } | undefined>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The child's fd of the agent's frame pipe (0–2 stdio, 3 IPC). */
const TELEMETRY_FD = 4;

/** The compiled child entry, next to this file. */
export const ENGINE_MAIN = fileURLToPath(new URL('../engine/main.js', import.meta.url));

/** Forks the engine as its own process (its GC, CPU and pinning its own) and resolves once it is scraping. */
export function startEngineChild(o: EngineChildOptions): Promise<EngineChild> {
  const prefix = o.prefix ?? [];
  const child = fork(ENGINE_MAIN, [], {
    execPath: prefix.length > 0 ? prefix[0] : (o.nodePath ?? process.execPath),
    execArgv: prefix.length > 0 ? [...prefix.slice(1), o.nodePath ?? process.execPath, ...(o.execArgv ?? [])] : (o.execArgv ?? []),
    stdio: ['ignore', o.stdout ?? 'ignore', o.stderr ?? 'inherit', 'ipc', 'pipe'],
    env: { ...(o.env ?? process.env), PROMSOAK_TELEMETRY_FD: String(TELEMETRY_FD) },
    serialization: 'json',
  });
  // Should the coordinator die with the engine's event loop blocked, the watchdog kills it.
  if (child.pid !== undefined) {
    const pid = child.pid;
    watchProcess(pid);
    child.once('exit', () => unwatchProcess(pid));
  }
  const pipe = child.stdio[TELEMETRY_FD] as Readable;
  if (o.onAgent) {
    const onAgent = o.onAgent;
    readAgentPipe(pipe, onAgent, (what) => process.emitWarning(`telemetry pipe: ${what}`));
  } else {
    pipe.resume();
  }
  o.onSpawn?.(child);
  let latest: EngineStats | undefined;
  const waiters: Array<(m: FromEngine) => boolean> = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.on('message', (raw) => {
    const m = raw as FromEngine;
    if (m.type === 'stats') {
      latest = m.stats;
      o.onStats?.(m.stats);
    }
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i]!(m)) waiters.splice(i--, 1);
    }
  });
  // With a callback, a send to a child that has just died (EPIPE) is not an unhandled 'error'
  // event that kills the coordinator: the waiter sees the child's exit and says so.
  const send = (m: ToEngine): void => {
    if (child.connected) child.send(m, () => {});
  };
  const waitFor = <T extends FromEngine['type']>(type: T, timeoutMs: number): Promise<Extract<FromEngine, { type: T }>> =>
    new Promise((resolve, reject) => {
      const failure: ErrorCode = type === 'ready' ? 'PROMSOAK_ENGINE_START' : 'PROMSOAK_ENGINE';
      const timer = setTimeout(() => {
        done();
        reject(new PromsoakError(failure, `engine child: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null): void => {
        done();
        reject(new PromsoakError(failure, `engine child exited (code ${code}, signal ${signal}) before '${type}'`));
      };
      const waiter = (m: FromEngine): boolean => {
        if (m.type === 'error' && m.fatal) {
          done(false);
          // The code crossed IPC: trust it only if this version knows it.
          reject(new PromsoakError(isErrorCode(m.code) ? m.code : failure, `engine: ${m.message}`));
          return true;
        }
        if (m.type !== type) return false;
        done(false);
        resolve(m as Extract<FromEngine, { type: T }>);
        return true;
      };
      const done = (removeWaiter = true): void => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (removeWaiter) {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
        }
      };
      child.once('exit', onExit);
      waiters.push(waiter);
    });

  const readyP = waitFor('ready', o.startTimeoutMs ?? 30_000);
  send({ type: 'start', options: o.options, statsEveryMs: o.statsEveryMs ?? 1000 });
  return readyP.then(
    (ready) => {
      let stopped: Promise<{ stats: EngineStats; targets: TargetStatus[] } | undefined> | undefined;
      return {
        process: child,
        ready,
        get latest() {
          return latest;
        },
        exited,
        targets: async () => {
          const p = waitFor('targets', 10_000);
          send({ type: 'targets' });
          return (await p).targets;
        },
        retarget: async () => {
          const p = waitFor('retargeted', 10_000);
          send({ type: 'retarget' });
          const m = await p;
          if (m.error) throw new PromsoakError(isErrorCode(m.error.code) ? m.error.code : 'PROMSOAK_ENGINE', `engine: retarget: ${m.error.message}`);
          return m.targets;
        },
        stop: (timeoutMs = 10_000) =>
          (stopped ??= (async () => {
            if (child.exitCode !== null || child.signalCode !== null) return undefined;
            const p = waitFor('stopped', timeoutMs).catch(() => undefined);
            send({ type: 'stop' });
            const m = await p;
            const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            await exited;
            clearTimeout(killer);
            return m ? { stats: m.stats, targets: m.targets } : undefined;
          })()),
      };
    },
    (e: unknown) => {
      child.kill('SIGKILL');
      throw e;
    },
  );
}
