/**
 * A small error hierarchy with stable codes (undici's style: UND_ERR_*). The CLI turns any
 * PromsoakError into one line and an exit code; anything else is a bug and shows a stack
 * with --verbose.
 */
export type ErrorCode =
  | 'PROMSOAK_PROFILE_INVALID'
  | 'PROMSOAK_PROFILE_NOT_FOUND'
  | 'PROMSOAK_PORT_IN_USE'
  | 'PROMSOAK_USAGE'
  | 'PROMSOAK_PARSE'
  | 'PROMSOAK_REPLAY_INVALID'
  | 'PROMSOAK_TARGETS_INVALID'
  | 'PROMSOAK_INGESTER'
  | 'PROMSOAK_SAMPLE_LIMIT'
  | 'PROMSOAK_SCRAPE';

export class PromsoakError extends Error {
  readonly code: ErrorCode;
  /** Exit code the CLI uses: 2 for bad input or usage, 1 for a failure. */
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode = 2) {
    super(message);
    this.name = 'PromsoakError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export class ProfileError extends PromsoakError {
  constructor(message: string, code: ErrorCode = 'PROMSOAK_PROFILE_INVALID') {
    super(code, message, 2);
    this.name = 'ProfileError';
  }
}

export class PortInUseError extends PromsoakError {
  constructor(host: string, port: number) {
    super('PROMSOAK_PORT_IN_USE', `port ${port} on ${host} is already in use; pick another with --port (0 picks a free one)`, 1);
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
    super('PROMSOAK_PARSE', `line ${line} column ${column}: expected ${expected}, found ${found}`, 1);
    this.name = 'ParseError';
  }
}

/** A scrape over its sample_limit; the scrape fails as a whole, as in Prometheus. */
export class SampleLimitError extends PromsoakError {
  constructor(readonly limit: number) {
    super('PROMSOAK_SAMPLE_LIMIT', `sample limit exceeded (more than ${limit} samples)`, 1);
    this.name = 'SampleLimitError';
  }
}

/** A failed scrape: HTTP status, timeout, body size limit or connection error. */
export class ScrapeError extends PromsoakError {
  constructor(message: string) {
    super('PROMSOAK_SCRAPE', message, 1);
    this.name = 'ScrapeError';
  }
}
