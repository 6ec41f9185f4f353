import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (this file is dist/scripts/lib/shard-process.js). */
export const CLI = join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'cli.js');

export interface ShardProcess {
  /** Its base URL, from its ready line (what `run --fleet` takes). */
  url: string;
  /** Its ready line, as printed. */
  readyLine: string;
  child: ChildProcess;
  /** SIGTERM, and waits for its exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * `promsoak fleet <args>` as a child process (optionally under `prefix`, e.g. `ip netns exec
 * <ns>`), resolved once it prints its ready line; its output after that is kept for errors.
 */
export function spawnShard(args: string[], prefix: string[] = [], timeoutMs = 30_000): Promise<ShardProcess> {
  const argv = [...prefix, process.execPath, CLI, 'fleet', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`promsoak fleet ${args.join(' ')}: no ready line within ${timeoutMs} ms: ${out.slice(-500)}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /stats (http:\/\/\S+)\/stats;/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, readyLine: /^promsoak fleet ready:.*$/m.exec(out)?.[0] ?? '', child, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`promsoak fleet ${args.join(' ')} exited at start (${signal ?? `exit code ${code}`}): ${out.slice(-500)}`));
    });
  });
}
