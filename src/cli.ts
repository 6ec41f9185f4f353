#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isPromsoakError } from './errors.js';
import { fleetCommand } from './commands/fleet.js';
import { profilesCommand } from './commands/profiles.js';

/** Wiring only: every command is a function in src/commands/ that a test can call. */
const log = (line: string): void => void process.stdout.write(line + '\n');
let verbose = process.argv.includes('--verbose');

function fail(e: unknown): never {
  if (isPromsoakError(e)) {
    process.stderr.write(`promsoak: ${e.message}\n`);
    if (verbose) process.stderr.write(`${e.stack}\n`);
    process.exit(e.exitCode);
  }
  const err = e as Error;
  process.stderr.write(`promsoak: ${err?.message ?? String(e)}${verbose ? '\n' + err?.stack : ' (--verbose for the stack)'}\n`);
  process.exit(1);
}

await yargs(hideBin(process.argv))
  .scriptName('promsoak')
  .usage('$0 <command> [options]\n\nLoad-test harness for Prometheus metrics ingestion.')
  .option('verbose', { type: 'boolean', describe: 'Stack traces on errors' })
  .command(
    'fleet [profile]',
    'Serve a simulated exporter fleet on loopback (file_sd + http_sd) until Ctrl-C',
    (y) =>
      y
        .positional('profile', { type: 'string', default: 'default', describe: 'Shipped profile name or path to a profile JSON' })
        .option('port', { type: 'number', default: 0, describe: 'Port on 127.0.0.1 (0: a free one)' })
        .option('exporters', { type: 'number', describe: "Override the profile's exporter count" })
        .option('threads', { type: 'number', describe: 'Render worker threads (default: cores - 1, at least 1)' })
        .option('out', { type: 'string', default: 'out', describe: 'Folder for file_sd.json' })
        .option('format', { choices: ['negotiate', 'text', 'openmetrics'] as const, describe: "Override the profile's output format" })
        .option('duration', { type: 'number', describe: 'Stop after this many seconds' }),
    async (a) => {
      await fleetCommand(
        { profile: a.profile, port: a.port, exporters: a.exporters, threads: a.threads, out: a.out, format: a.format, duration: a.duration },
        log,
      );
    },
  )
  .command('profiles', 'List the shipped workload profiles', {}, () => profilesCommand(log))
  .demandCommand(1, 'Name a command (promsoak --help lists them)')
  .strict()
  .fail((msg, err, y) => {
    if (err) fail(err);
    process.stderr.write(`promsoak: ${msg}\n${verbose ? y.help() : ''}`);
    process.exit(2);
  })
  .help()
  .parseAsync()
  .catch(fail);
