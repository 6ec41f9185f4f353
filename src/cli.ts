#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withPushOptions } from './commands/push-flags.js';
import { pushArgs } from './push/push-options.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULTS } from './common/defaults.js';
import { isPromsoakError } from './common/errors.js';
import { fleetCommand } from './commands/fleet.js';
import { profilesCommand } from './commands/profiles.js';
import { parseCommand } from './commands/parse.js';
import { engineCommand } from './commands/engine.js';
import { cardinalityCommand } from './commands/cardinality.js';
import { runCommand } from './commands/run.js';
import { reportCommand } from './commands/report.js';
import { compareCommand } from './commands/compare.js';
import { diffCommand } from './commands/diff.js';
import { capacityCommand } from './commands/capacity.js';
import { capacityParts } from './capacity/parts.js';
import { heapDiffCommand, heapSummaryCommand } from './commands/heap.js';
import { profileTopCommand } from './commands/profile.js';
import { parseTimes } from './run/heap-diagnostics.js';
import { visible } from './common/terminal-text.js';

/** Wiring only: every command is a function in src/commands/ that a test can call. */
const log = (line: string): void => void process.stdout.write(line + '\n');
let verbose = process.argv.includes('--verbose');

function fail(e: unknown): never {
  if (isPromsoakError(e)) {
    process.stderr.write(`promsoak: ${visible(e.message, { keepNewlines: true })}\n`);
    if (verbose) process.stderr.write(`${e.stack}\n`);
    process.exit(e.exitCode);
  }
  const err = e as Error;
  process.stderr.write(`promsoak: ${visible(err?.message ?? String(e), { keepNewlines: true })}${verbose ? '\n' + err?.stack : ' (--verbose for the stack)'}\n`);
  process.exit(1);
}

/** `--v8-flags --max-semi-space-size=16`: a value that itself starts with -- is taken as the value. */
function glueFlagValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--v8-flags' && i + 1 < argv.length) out.push(`--v8-flags=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

/**
 * Every command's yargs definition and handler, strict: parsing runs the handler. main() adds the
 * failure handling; test/docs.test.ts parses the commands shown in the docs with it, handlers stopped.
 */
export const buildCli = (argv: string[]) =>
  yargs(glueFlagValues(argv))
  .scriptName('promsoak')
  .usage('$0 <command> [options]\n\nLoad-test harness for Prometheus metrics ingestion.')
  .option('verbose', { type: 'boolean', describe: 'Stack traces on errors' })
  .command(
    'fleet [profile]',
    'Serve a simulated exporter fleet, or one shard of it, on loopback (file_sd + http_sd, /stats, /metrics) until Ctrl-C',
    (y) =>
      withPushOptions(y)
        .positional('profile', { type: 'string', default: 'default', describe: 'Shipped profile name or path to a profile JSON' })
        .option('port', { type: 'number', default: 0, describe: 'Port to listen on (0: a free one)' })
        .option('listen', { type: 'string', describe: 'Address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every interface)' })
        .option('advertise', { type: 'string', describe: "Host the targets in /sd and file_sd carry (default: the listen address; this machine's hostname for 0.0.0.0 / ::)" })
        .option('shard', { type: 'string', describe: 'i/n: serve only shard i of n (exporters whose id mod n is i; i counted from 0)' })
        .option('epoch', { type: 'string', describe: 'Render time 0 as ms since 1970 or ISO 8601 (default: start); shards with one epoch serve the bodies one fleet would' })
        .option('exporters', { type: 'number', describe: "Override the profile's exporter count" })
        .option('threads', { type: 'number', describe: 'Serving threads, each with its own port and its share of the targets (default: the cores this process may use; at most that)' })
        .option('out', { type: 'string', default: 'out', describe: 'Folder for file_sd.json' })
        .option('format', { choices: ['negotiate', 'text', 'openmetrics'] as const, describe: "Override the profile's output format" })
        .option('duration', { type: 'number', describe: 'Stop after this many seconds' })
        .option('stall-seconds', { type: 'number', describe: 'Cut a connection that leaves over 64 KiB of its responses unread this long (default 30)' }),
    async (a) => {
      await fleetCommand(
        {
          profile: a.profile,
          port: a.port,
          exporters: a.exporters,
          threads: a.threads,
          out: a.out,
          format: a.format,
          duration: a.duration,
          shard: a.shard,
          listen: a.listen,
          advertise: a.advertise,
          epoch: a.epoch,
          stallSeconds: a.stallSeconds,
          ...pushArgs(a),
        },
        log,
      );
    },
  )
  .command(
    'engine',
    'Run the ingestion engine alone against file_sd targets; one progress line a second on stderr',
    (y) =>
      y
        .option('targets', { type: 'string', describe: 'Prometheus file_sd JSON (promsoak fleet writes one); required unless --receive' })
        .option('interval', { type: 'number', default: 5, describe: 'Scrape interval, seconds' })
        .option('timeout', { type: 'number', describe: 'Scrape timeout, seconds (default: min(10, interval))' })
        .option('ingester', { type: 'string', default: 'cached', describe: 'cached, naive or module:<path>' })
        .option('head-window', { type: 'number', describe: `Samples kept per series (default ${DEFAULTS.headWindow})` })
        .option('sample-limit', { type: 'number', describe: 'Fail scrapes over this many samples (0: none)' })
        .option('body-limit', { type: 'number', describe: 'Fail scrapes whose body is over this many bytes (0: none)' })
        .option('connections', { type: 'number', describe: `HTTP connections per origin (default ${DEFAULTS.connections})` })
        .option('metrics-port', { type: 'number', describe: "Serve the engine's own /metrics on 127.0.0.1:<port> (0: a free one)" })
        .option('receive', { type: 'number', describe: 'Receive remote write 1.0 (POST /api/v1/write) on 127.0.0.1:<port> into the head (0: a free one)' })
        .option('duration', { type: 'number', describe: 'Stop after this many seconds' }),
    async (a) => {
      await engineCommand({
        targetsFile: a.targets,
        intervalSeconds: a.interval,
        timeoutSeconds: a.timeout,
        ingester: a.ingester,
        headWindow: a.headWindow,
        sampleLimit: a.sampleLimit,
        bodyLimitBytes: a.bodyLimit,
        connections: a.connections,
        metricsPort: a.metricsPort,
        receivePort: a.receive,
        duration: a.duration,
      });
    },
  )
  .command(
    'cardinality',
    'Memory per label set by metric type (the second article), each case in a fresh child process',
    (y) =>
      y
        .option('subject', { choices: ['prom-client', 'engine'] as const, describe: "prom-client's vectors or the engine's head (default prom-client)" })
        .option('types', { type: 'string', describe: 'Comma list of counter,gauge,histogram,summary (default all)' })
        .option('label-sets', { type: 'string', describe: 'Ladder of label-set counts (default 25000,50000,75000,100000)' })
        .option('observations', { type: 'string', describe: 'Observations per set (engine: scrapes); the ladder uses the smallest (default 1,250,500,1000)' })
        .option('grid-label-sets', { type: 'string', describe: 'Rows of the observation grid (default 1000,2000,3000,4000)' })
        .option('repeat', { type: 'number', describe: 'Fresh processes per case; tables show the median (default 3)' })
        .option('jobs', { type: 'number', describe: 'Cases run at once (default 1)' })
        .option('head-window', { type: 'number', describe: `engine: samples kept per series (default ${DEFAULTS.headWindow})` })
        .option('out', { type: 'string', describe: 'Folder for cardinality.json and cardinality.html' })
        .option('heap-snapshot', { type: 'boolean', describe: 'Write a heap snapshot per case (first repeat) and print its top 5 constructors' })
        .option('quick', { type: 'boolean', describe: 'A small grid for a smoke run (seconds)' }),
    async (a) => {
      const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));
      const nums = (s: string | undefined): number[] | undefined => list(s)?.map(Number);
      await cardinalityCommand(
        {
          subject: a.subject,
          types: list(a.types) as ('counter' | 'gauge' | 'histogram' | 'summary')[] | undefined,
          labelSets: nums(a.labelSets),
          observations: nums(a.observations),
          gridLabelSets: nums(a.gridLabelSets),
          repeat: a.repeat,
          jobs: a.jobs,
          headWindow: a.headWindow,
          out: a.out,
          heapSnapshot: a.heapSnapshot,
          quick: a.quick,
        },
        log,
        (line) => void process.stderr.write(line + '\n'),
      );
    },
  )
  .command(
    'parse <source>',
    'Print the samples of an exposition (a file or a loopback URL) as JSON lines',
    (y) =>
      y
        .positional('source', { type: 'string', demandOption: true, describe: 'File path or http://127.0.0.1:… URL' })
        .option('format', { choices: ['text', 'openmetrics'] as const, describe: 'Override the format (default: Content-Type for URLs, extension .om/.om.txt for files)' })
        .option('timeout', { type: 'number', describe: 'URLs: deadline for the whole fetch, seconds (default 30)' })
        .option('body-limit', { type: 'number', describe: 'Largest body read (a URL\'s or a file\'s), bytes (default 64 MiB)' }),
    async (a) => {
      await parseCommand({ source: a.source, format: a.format, timeoutSeconds: a.timeout, bodyLimitBytes: a.bodyLimit }, log);
    },
  )
  .command(
    'run [profile]',
    'Soak: fleet + engine child + telemetry; a report of ingestion evenness, CPU, GC and allocation per sample',
    (y) =>
      withPushOptions(y)
        .positional('profile', { type: 'string', describe: "Shipped profile name or path to a profile JSON (default: default; with --fleet, the shards' own)" })
        .option('fleet', { type: 'string', describe: 'Fleets already running instead of the soak\'s own: their base URLs, comma-separated (promsoak fleet --shard i/n on this or other hosts)' })
        .option('allow-target-hosts', { type: 'string', describe: "--fleet: hosts (comma-separated) a shard's /sd may list targets on besides the shard's own" })
        .option('duration', { type: 'number', describe: "Seconds measured after the warm-up (default: the profile's)" })
        .option('warmup', { type: 'number', describe: "Seconds of warm-up left out of the figures (default: the profile's)" })
        .option('ingester', { type: 'string', describe: 'The built-in engine\'s ingester: cached (default), naive or module:<path>' })
        .option('target', { type: 'string', describe: "The system under test: builtin (default), prometheus[:<binary>], victoria-metrics[:<binary>], exec:'<command with {file_sd} {http_sd} {port} {dir} {interval} {timeout}>' (split into words like sh, quotes and backslashes, no expansion, run without a shell; a placeholder fills inside its word), url:<metrics url>" })
        .option('target-metrics', { type: 'string', describe: "exec: where its own metrics are, e.g. 'http://127.0.0.1:{port}/metrics'" })
        .option('target-samples', { type: 'string', describe: "The counter of samples the target ingested, e.g. 'my_samples_total' or 'a{type=\"x\"} + b'" })
        .option('pid', { type: 'number', describe: 'url: the running target\'s local pid (CPU and memory from /proc)' })
        .option('target-log-limit', { type: 'number', describe: `A launched target: bytes kept of each of target.stdout.log and target.stderr.log; the rest is counted and dropped (default ${DEFAULTS.targetLogLimitBytes}, 8 MiB)` })
        .option('env', { type: 'string', array: true, describe: 'K=V for the target (repeatable): GOGC, GOMEMLIMIT, GODEBUG…' })
        .option('cores', { type: 'number', describe: 'Pin the engine (or target: taskset, GOMAXPROCS) to this many cores; the fleet gets the rest' })
        .option('v8-flags', { type: 'string', nargs: 1, describe: "V8 flags for the engine, e.g. --v8-flags '--max-semi-space-size=16'" })
        .option('exporters', { type: 'number', describe: "Override the profile's exporter count" })
        .option('interval', { type: 'number', describe: "Override the profile's scrape interval, seconds" })
        .option('body-limit', { type: 'number', describe: "engine: a scrape's body size limit in bytes (default: none, as Prometheus's body_size_limit)" })
        .option('out', { type: 'string', default: 'runs', describe: 'Where run directories go' })
        .option('threshold', { type: 'string', array: true, describe: "Fail (exit 1) unless it holds, e.g. 'bytesPerSample<200' (repeatable)" })
        .option('telemetry', { type: 'boolean', default: true, hidden: true, describe: 'The telemetry agent (--no-telemetry only to measure its overhead)' })
        .option('heap-snapshot-at', { type: 'string', describe: 'Heap snapshots of the engine at these times after the warm-up, e.g. 20s,50s (→ heap-20s.heapsnapshot)' })
        .option('heap-snapshot-on', { choices: ['SIGUSR2'] as const, describe: 'A heap snapshot of the engine whenever promsoak receives this signal' })
        .option('heap-snapshot-near-limit', { type: 'boolean', default: true, describe: 'V8 writes a snapshot when the engine nears its heap limit (--no-heap-snapshot-near-limit: off)' })
        .option('alloc-profile', { type: 'boolean', describe: 'Sample allocations over the measured window → alloc.heapprofile, alloc.pb.gz' })
        .option('alloc-sampling-interval', { type: 'number', describe: 'Mean bytes between allocation samples (default 32768)' })
        .option('metrics-port', { type: 'number', describe: "Serve the soak's live metrics (promsoak_soak_*) on 127.0.0.1:<port>/metrics (0: a free one)" })
        .option('metrics-host', { type: 'string', describe: 'The address --metrics-port listens on (default 127.0.0.1; 0.0.0.0 to be scraped from outside, e.g. in a pod)' }),
    async (a) => {
      process.exitCode = await runCommand(
        {
          profile: a.profile,
          fleet: a.fleet,
          allowTargetHosts: a.allowTargetHosts,
          durationSeconds: a.duration,
          warmupSeconds: a.warmup,
          ingester: a.ingester,
          target: a.target,
          targetMetrics: a.targetMetrics,
          targetSamples: a.targetSamples,
          ...pushArgs(a),
          targetLogLimitBytes: a.targetLogLimit,
          pid: a.pid,
          env: a.env,
          cores: a.cores,
          v8Flags: a.v8Flags ? a.v8Flags.split(/\s+/).filter(Boolean) : [],
          exporters: a.exporters,
          intervalSeconds: a.interval,
          bodyLimitBytes: a.bodyLimit,
          out: a.out,
          thresholds: a.threshold ?? [],
          telemetry: a.telemetry,
          heap: {
            at: a.heapSnapshotAt ? parseTimes(a.heapSnapshotAt) : undefined,
            signal: a.heapSnapshotOn,
            nearHeapLimit: a.heapSnapshotNearLimit,
            allocProfile: a.allocProfile,
            samplingInterval: a.allocSamplingInterval,
          },
          metricsPort: a.metricsPort,
          metricsHost: a.metricsHost,
        },
        log,
      );
    },
  )
  .command(
    'capacity [profile]',
    'Raise the offered load in steps without restarting the system under test, judge each step, find the ceiling per core count',
    (y) =>
      withPushOptions(y)
        .positional('profile', { type: 'string', describe: "Shipped profile name or path to a profile JSON (default: default; with --fleet, the shards' own)" })
        .option('target', { type: 'string', describe: 'The system under test (see run --target): prometheus, victoria-metrics, exec:…' })
        .option('target-metrics', { type: 'string', describe: 'exec: where its own metrics are (a URL template with {port})' })
        .option('target-samples', { type: 'string', describe: 'The counter of samples the target ingested' })
        .option('target-log-limit', { type: 'number', describe: 'A launched target: bytes kept of each of its log files' })
        .option('env', { type: 'string', array: true, describe: 'K=V for the target (repeatable)' })
        .option('fleet', { type: 'string', describe: 'Fleets already running instead of its own: their base URLs, comma-separated (see run --fleet)' })
        .option('allow-target-hosts', { type: 'string', describe: "--fleet: hosts a shard's /sd may list targets on besides the shard's own" })
        .option('cores', { type: 'string', describe: 'Comma list of core counts for the system, one search each, e.g. 1,2 (default 1)' })
        .option('by', { type: 'string', describe: 'What a step raises: rate (default: exporters, samples/s) or series (exporters, judged on memory)' })
        .option('interval', { type: 'number', describe: "Override the profile's scrape interval, seconds" })
        .option('resolution', { type: 'number', describe: 'Bisection ends when (fail − pass) / pass is at most this (default 0.05)' })
        .option('factor', { type: 'number', describe: 'Geometric growth of the load until the first failing step (default 2)' })
        .option('start-exporters', { type: 'number', describe: "Exporters offered in the first step (default: a quarter of the profile's)" })
        .option('max-exporters', { type: 'number', describe: "Exporters the fleet serves: the most a step can offer (default: 64 × the profile's, as far as this machine holds)" })
        .option('step-warmup', { type: 'number', describe: 'Seconds each step settles before it is measured (default 10)' })
        .option('step-seconds', { type: 'number', describe: 'Seconds each step is measured (default 20; a confirmation twice that)' })
        .option('max-steps', { type: 'number', describe: 'Most steps per core count (default 40, at most 200)' })
        .option('max-duration', { type: 'number', describe: 'Most seconds of steps per core count (default 3600, at most 86400)' })
        .option('min-ingested', { type: 'number', describe: 'A step passes when it ingests at least this share of what is offered (default 0.99)' })
        .option('max-latency', { type: 'number', describe: 'Scrape (push) p99 under this many scrape intervals (default 1)' })
        .option('max-starved', { type: 'number', describe: 'Starved seconds allowed in a step (default 0)' })
        .option('max-cpu', { type: 'number', describe: 'CPU p99 under this share of the cores given (default 1)' })
        .option('memory-limit', { type: 'string', describe: 'Peak RSS under this (e.g. 512MiB), set on the system too: GOMEMLIMIT, --max-old-space-size' })
        .option('predict', { type: 'string', describe: "The cores and RAM a bigger load needs, e.g. 'samples=2e6,series=1e7'" })
        .option('out', { type: 'string', default: 'runs', describe: 'Where the capacity directory goes' }),
    async (a) => {
      process.exitCode = await capacityCommand(
        {
          profile: a.profile,
          target: a.target,
          targetMetrics: a.targetMetrics,
          targetSamples: a.targetSamples,
          targetLogLimitBytes: a.targetLogLimit,
          env: a.env,
          fleet: a.fleet,
          allowTargetHosts: a.allowTargetHosts,
          ...pushArgs(a),
          cores: a.cores === undefined ? undefined : String(a.cores).split(',').map((c) => Number(c.trim())),
          by: a.by,
          intervalSeconds: a.interval,
          resolution: a.resolution,
          factor: a.factor,
          startExporters: a.startExporters,
          maxExporters: a.maxExporters,
          stepWarmupSeconds: a.stepWarmup,
          stepSeconds: a.stepSeconds,
          maxSteps: a.maxSteps,
          maxDurationSeconds: a.maxDuration,
          minIngested: a.minIngested,
          maxLatency: a.maxLatency,
          maxStarved: a.maxStarved,
          maxCpu: a.maxCpu,
          memoryLimit: a.memoryLimit,
          predict: a.predict,
          out: a.out,
        },
        capacityParts,
        log,
      );
    },
  )
  .command(
    'compare [profile]',
    'The same soak across core counts, ingesters, V8 flags and Node binaries, interleaved; side-by-side table and verdict',
    (y) =>
      withPushOptions(y)
        .positional('profile', { type: 'string', describe: "Shipped profile name or path to a profile JSON (default: default; with --fleet, the shards' own)" })
        .option('fleet', { type: 'string', describe: 'Fleets already running, for every run: their base URLs, comma-separated (see run --fleet)' })
        .option('allow-target-hosts', { type: 'string', describe: "--fleet: hosts (comma-separated) a shard's /sd may list targets on besides the shard's own (see run)" })
        .option('cores', { type: 'string', describe: 'Comma list of engine core counts, e.g. 1,2' })
        .option('ingester', { type: 'string', describe: 'Comma list, e.g. cached,naive (default cached)' })
        .option('v8-flags', { type: 'string', nargs: 1, describe: "One V8 setting per use (repeatable), e.g. --v8-flags '--max-semi-space-size=16'" })
        .option('node', { type: 'string', nargs: 1, describe: 'A Node binary for the engine (repeatable)' })
        .option('target', { type: 'string', describe: 'Comma list of systems under test, e.g. builtin,prometheus,victoria-metrics (see run --target)' })
        .option('target-metrics', { type: 'string', describe: 'exec: targets: where their metrics are (a URL template with {port})' })
        .option('target-samples', { type: 'string', describe: 'exec:/url: targets: the counter of samples they ingested' })
        .option('target-log-limit', { type: 'number', describe: 'Launched targets: bytes kept of each of their log files (see run --target-log-limit)' })
        .option('env', { type: 'string', nargs: 1, describe: "One environment setting of the target per use (repeatable: each a variant), e.g. --env GOGC=50 --env GOGC=200" })
        .option('repeat', { type: 'number', default: 1, describe: 'Runs per variant (medians and spread)' })
        .option('duration', { type: 'number', describe: "Seconds measured per run (default: the profile's)" })
        .option('warmup', { type: 'number', describe: "Warm-up seconds per run (default: the profile's)" })
        .option('exporters', { type: 'number', describe: "Override the profile's exporter count" })
        .option('interval', { type: 'number', describe: "Override the profile's scrape interval, seconds" })
        .option('out', { type: 'string', default: 'runs', describe: 'Where the compare directory goes' })
        .option('together', { type: 'boolean', describe: 'Run each round\'s variants at the same time on one fleet, each engine at its own scrape phases and, with cores enough, on its own core (--ingester, --v8-flags; see docs/diff.md)' })
        .option('find-cores', { type: 'boolean', describe: 'Try every core count from 1 to this machine\'s and report the smallest that ingests flat' })
        .option('max-cv', { type: 'number', default: 0.1, describe: '--find-cores: the largest ingestion CV that counts as flat' })
        .option('max-cpu', { type: 'number', default: 0.9, describe: '--find-cores: p99 CPU must stay under this share of the cores' })
        .option('metrics-port', { type: 'number', describe: "Serve each run's live metrics (promsoak_soak_*) on 127.0.0.1:<port>/metrics (0: a free one)" })
        .option('metrics-host', { type: 'string', describe: 'The address --metrics-port listens on (default 127.0.0.1)' })
        .option('control', { type: 'boolean', describe: "An A/A twin of the first variant in every round: what 'no change' reads on this machine" })
        .option('baseline', { type: 'string', describe: 'A stored compare.json, compare directory or run directory to compare the variants with (unpaired)' })
        .option('gate', { type: 'string', nargs: 1, describe: "A regression gate (repeatable), e.g. 'cpu.usPerSample<+5%' or 'starvation.windows==0': exit 1 when it fails" })
        .option('force', { type: 'boolean', describe: '--baseline: compare even when its profile, load or target differs' }),
    async (a) => {
      const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
      const cores = a.findCores
        ? Array.from({ length: (await import('./run/engine-launch.js')).MACHINE_CORES }, (_, i) => i + 1)
        : a.cores
          ? a.cores.split(',').map((c) => Number(c.trim()))
          : undefined;
      process.exitCode = await compareCommand(
        {
          profile: a.profile,
          fleet: a.fleet,
          allowTargetHosts: a.allowTargetHosts,
          cores,
          ingesters: a.ingester ? a.ingester.split(',').map((s) => s.trim()) : undefined,
          v8Flags: list(a.v8Flags),
          nodes: list(a.node),
          targets: a.target ? a.target.split(',').map((s) => s.trim()) : undefined,
          envs: list(a.env),
          targetMetrics: a.targetMetrics,
          targetSamples: a.targetSamples,
          ...pushArgs(a),
          targetLogLimitBytes: a.targetLogLimit,
          repeat: a.repeat,
          durationSeconds: a.duration,
          warmupSeconds: a.warmup,
          exporters: a.exporters,
          intervalSeconds: a.interval,
          out: a.out,
          findCores: a.findCores ? { maxCv: a.maxCv, maxCpuShare: a.maxCpu } : undefined,
          together: a.together,
          metricsPort: a.metricsPort,
          metricsHost: a.metricsHost,
          control: a.control,
          baseline: a.baseline,
          gates: list(a.gate),
          force: a.force,
        },
        log,
      );
    },
  )
  .command(
    'report <dir>',
    "Re-render a run's summary.json, report.html and terminal summary from its files",
    (y) => y.positional('dir', { type: 'string', demandOption: true, describe: 'A run directory' }),
    async (a) => reportCommand(a.dir, log),
  )
  .command(
    'diff <a> <b>',
    "Two runs already made (or two compares): headline figures side by side, per-second series compared with a 95 % interval",
    (y) =>
      y
        .positional('a', { type: 'string', demandOption: true, describe: 'A run directory, or a compare directory' })
        .positional('b', { type: 'string', demandOption: true, describe: 'The same kind of directory as a' })
        .option('force', { type: 'boolean', describe: 'Compare runs of different profiles, loads or targets anyway' })
        .option('block-seconds', { type: 'number', describe: 'Seconds per block of the per-second series (default 10; rounded up to whole scrape intervals)' })
        .option('json', { type: 'string', describe: 'Also write the comparison as JSON to this file' })
        .option('html', { type: 'string', describe: 'Also write the comparison as an HTML page to this file' })
        .option('fail-on-worse', { type: 'boolean', describe: 'Exit 1 when a figure reads worse (its 95 % interval clear of 0)' }),
    async (a) => {
      process.exitCode = diffCommand({ a: a.a, b: a.b, force: a.force, blockSeconds: a.blockSeconds, json: a.json, html: a.html, failOnWorse: a.failOnWorse }, log);
    },
  )
  .command('profiles', 'List the shipped workload profiles', {}, async () => profilesCommand(log))
  .command('heap', 'Heap snapshots: top constructors, growth between two', (y) =>
    y
      .command(
        'summary <file>',
        'Top constructors of a .heapsnapshot: count, self size, retained size (dominator tree)',
        (z) =>
          z
            .positional('file', { type: 'string', demandOption: true })
            .option('top', { type: 'number', default: 20, describe: 'Rows to print' })
            .option('by', { choices: ['self', 'retained', 'count'] as const, default: 'retained' as const, describe: 'Sort key' }),
        async (a) => heapSummaryCommand(a.file, { top: a.top, by: a.by }, log),
      )
      .command(
        'diff <a> <b>',
        'Growth by constructor from snapshot a to snapshot b',
        (z) =>
          z
            .positional('a', { type: 'string', demandOption: true })
            .positional('b', { type: 'string', demandOption: true })
            .option('top', { type: 'number', default: 20, describe: 'Rows to print' })
            .option('by', { choices: ['self', 'retained', 'count'] as const, default: 'self' as const, describe: 'Sort key (largest change first)' }),
        async (a) => heapDiffCommand(a.a, a.b, { top: a.top, by: a.by }, log),
      )
      .demandCommand(1, 'Name a heap command: summary or diff'),
  )
  .command('profile', 'Allocation profiles: top allocating functions', (y) =>
    y
      .command(
        'top <file>',
        'Top allocating functions (self and cumulative) of a .heapprofile or a pprof .pb.gz',
        (z) =>
          z
            .positional('file', { type: 'string', demandOption: true })
            .option('top', { type: 'number', default: 20, describe: 'Rows to print' })
            .option('sample-index', { choices: ['alloc_space', 'alloc_objects'] as const, default: 'alloc_space' as const, describe: 'Bytes or objects' }),
        async (a) => profileTopCommand(a.file, { top: a.top, sampleIndex: a.sampleIndex }, log),
      )
      .demandCommand(1, 'Name a profile command: top'),
  )
  .demandCommand(1, 'Name a command (promsoak --help lists them)')
  .strict()
  .help();

async function main(): Promise<void> {
  // `promsoak parse … | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  await buildCli(hideBin(process.argv))
    .fail((msg, err, y) => {
      if (err) fail(err);
      process.stderr.write(`promsoak: ${msg}\n${verbose ? y.help() : ''}`);
      process.exit(2);
    })
    .parseAsync()
    .catch(fail);
}

// Run as the program (node dist/src/cli.js, the npm bin's link), not when a test imports buildCli.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
