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
  | 'PROMSOAK_REPLAY_INVALID';

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
