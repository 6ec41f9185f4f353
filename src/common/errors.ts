/**
 * A small error hierarchy with stable codes (undici's style: UND_ERR_*). The CLI turns any
 * PromsoakError into one line and an exit code; anything else is a bug and shows a stack
 * with --verbose.
 *
 * Every condition promsoak reports, with the exit code the CLI derives from it: 2 for input
 * that cannot be right (a flag, a profile, a file that is not what it should be), 1 for a
 * failure while doing the work. Codes are stable: scripts, summary.json readers and the IPC
 * between processes match on them.
 */
export const EXIT_CODE_OF = {
  /** A flag or argument that cannot be right. */
  PROMSOAK_USAGE: 2,
  PROMSOAK_PROFILE_INVALID: 2,
  PROMSOAK_PROFILE_NOT_FOUND: 2,
  /** A replayed capture (profile family `replay`) that does not parse. */
  PROMSOAK_REPLAY_INVALID: 2,
  /** A file_sd targets file that cannot be read or is not file_sd. */
  PROMSOAK_TARGETS_INVALID: 2,
  /** A file given to read that does not exist. */
  PROMSOAK_FILE_NOT_FOUND: 2,
  /** A file given to read that is not what the command reads (heap snapshot, profile, pprof). */
  PROMSOAK_INPUT_INVALID: 2,
  /** A directory given to `report` that is not a run directory. */
  PROMSOAK_RUN_DIR_INVALID: 2,
  /** An ingester module that cannot be found or loaded, or has no factory. */
  PROMSOAK_INGESTER: 2,
  /** An ingester module whose factory threw. */
  PROMSOAK_INGESTER_FAILED: 1,
  PROMSOAK_PORT_IN_USE: 1,
  /** A launched target (a Prometheus, any scraper) that is missing, exits at start, never opens its port, or dies. */
  PROMSOAK_TARGET_START: 1,
  /** A target whose metrics cannot be read, or lack the samples counter asked for (checked before the soak starts). */
  PROMSOAK_TARGET_METRICS: 2,
  /** `run --fleet`: a fleet shard that does not answer /stats (at the start), or answers something else than a fleet's /stats. */
  PROMSOAK_FLEET_UNREACHABLE: 1,
  /** `run --fleet`: shards that do not make one fleet (another profile, a gap, an overlap) or a profile that is not theirs. */
  PROMSOAK_FLEET_MISMATCH: 2,
  /** The engine child did not start: it exited, timed out, or reported an error before 'ready'. */
  PROMSOAK_ENGINE_START: 1,
  /** The engine child reported an error whose code it did not name (or named wrongly). */
  PROMSOAK_ENGINE: 1,
  /** taskset could not pin a process to the CPUs asked for. */
  PROMSOAK_PIN: 1,
  /** A write to the run directory that the disk refused (ENOSPC, EDQUOT, EIO): the soak stopped there. */
  PROMSOAK_DISK_FULL: 1,
  /** A child process of an experiment (a cardinality case) failed. */
  PROMSOAK_CHILD_FAILED: 1,
  /** The data to read (a heap snapshot's graph) does not fit in this process's memory. */
  PROMSOAK_OUT_OF_MEMORY: 1,
  /** A malformed exposition body. */
  PROMSOAK_PARSE: 1,
  PROMSOAK_SAMPLE_LIMIT: 1,
  PROMSOAK_SCRAPE: 1,
} as const;

export type ErrorCode = keyof typeof EXIT_CODE_OF;

/** True for a code this version knows: check a code that arrives over IPC before trusting it. */
export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.hasOwn(EXIT_CODE_OF, x);
}

export class PromsoakError extends Error {
  readonly code: ErrorCode;
  /** Exit code the CLI uses, derived from the code: 2 for bad input or usage, 1 for a failure. */
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'PromsoakError';
    this.code = code;
    this.exitCode = EXIT_CODE_OF[code];
  }
}

/** A file that could not be read: not found (ENOENT), or not readable as the command's input. */
export function fileError(path: string, e: unknown): PromsoakError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new PromsoakError('PROMSOAK_FILE_NOT_FOUND', `${path}: no such file`);
  if (code === 'EISDIR') return new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: a directory, not a file`);
  return new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: ${(e as Error)?.message ?? String(e)}`);
}

export class ProfileError extends PromsoakError {
  constructor(message: string, code: ErrorCode = 'PROMSOAK_PROFILE_INVALID') {
    super(code, message);
    this.name = 'ProfileError';
  }
}

export class PortInUseError extends PromsoakError {
  constructor(host: string, port: number) {
    super('PROMSOAK_PORT_IN_USE', `port ${port} on ${host} is already in use; pick another with --port (0 picks a free one)`);
    this.name = 'PortInUseError';
  }
}

export function isPromsoakError(e: unknown): e is PromsoakError {
  return e instanceof PromsoakError;
}

/**
 * A malformed exposition: what was expected and what was found, where (1-based line and
 * column), like Prometheus's parseError(exp, got). Affects only the body it came from.
 */
export class ParseError extends PromsoakError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super('PROMSOAK_PARSE', `line ${line} column ${column}: expected ${expected}, found ${found}`);
    this.name = 'ParseError';
  }
}

/** A scrape over its sample_limit; the scrape fails as a whole, as in Prometheus. */
export class SampleLimitError extends PromsoakError {
  constructor(readonly limit: number) {
    super('PROMSOAK_SAMPLE_LIMIT', `sample limit exceeded (more than ${limit} samples)`);
    this.name = 'SampleLimitError';
  }
}

/** A failed scrape: HTTP status, timeout, body size limit or connection error. */
export class ScrapeError extends PromsoakError {
  constructor(message: string) {
    super('PROMSOAK_SCRAPE', message);
    this.name = 'ScrapeError';
  }
}
