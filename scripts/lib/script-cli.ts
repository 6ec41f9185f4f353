import { pathToFileURL } from 'node:url';
import { isPromsoakError } from '../../src/common/errors.js';

/** A bench script's options: `--name value` pairs, and a bad one said in one line (exit 2). */
export interface ScriptArgs {
  val(name: string): string | undefined;
  num(name: string): number | undefined;
  usage(line: string): never;
}

export function scriptArgs(script: string, args = process.argv.slice(2)): ScriptArgs {
  const val = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  return {
    val,
    num: (name) => (val(name) === undefined ? undefined : Number(val(name))),
    usage: (line) => {
      process.stderr.write(`${script}: ${line}\n`);
      process.exit(2);
    },
  };
}

/**
 * Runs `main` when the module at `metaUrl` is the process's entry (not when bench.ts imports it).
 * A PromsoakError (a bad option, from runSoak's checks) is one line and exit 2; anything else
 * keeps its stack, exit 1.
 */
export function runIfMain(metaUrl: string, script: string, main: () => Promise<void>): void {
  if (!process.argv[1] || metaUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((e: unknown) => {
    if (isPromsoakError(e)) scriptArgs(script).usage(e.message);
    process.stderr.write(`${script}: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
