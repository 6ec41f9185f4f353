import { PromsoakError } from '../common/errors.js';

/** What `--push` and its flags ask for. */
export interface PushOptions {
  /** Remote write 1.0 or 2.0. */
  protocol: 1 | 2;
  /** The receiver's write URL (http: only; the fleet loads loopback systems). */
  url: string;
  /** Samples per request (Prometheus's max_samples_per_send). */
  batch: number;
  /** Concurrent connections, each with one request in flight, spread over the serving threads. */
  senders: number;
  /** Samples generated and not yet acknowledged past which the oldest batches are dropped, whole fleet. */
  maxBacklog: number;
  /** A request with no answer after this long is retried. */
  timeoutMs: number;
  /** After the last samples are generated, how long unacknowledged ones may still be sent. */
  drainMs: number;
}

export const PUSH_DEFAULTS = { batch: 2000, senders: 4, maxBacklog: 500_000, timeoutMs: 30_000, drainMs: 10_000 } as const;
/** Bounds: a request of a million samples is ~100 MB raw; a thousand connections is already more than any receiver wants from one sender. */
export const PUSH_LIMITS = { batch: 1_000_000, senders: 1024, maxBacklog: 100_000_000, batchTimesSenders: 2_000_000 } as const;
/** A partly filled batch leaves after this long (Prometheus's batch_send_deadline is 5 s; a soak reads the receiver once a second, and batches held for a second alias with it into uneven seconds). */
export const BATCH_DEADLINE_MS = 250;
/** A sample generated this long after it was due counts as late: the fleet's generator behind, not the receiver. */
export const LATE_MS = 1000;
/** The longest a serving thread generates without yielding to its sockets (its scrapes and its senders' answers). */
export const GENERATE_SLICE_MS = 20;
/** Retry backoff: Prometheus's min_backoff and max_backoff; a Retry-After is honoured up to RETRY_AFTER_MAX_MS. */
export const BACKOFF_MIN_MS = 30;
export const BACKOFF_MAX_MS = 5000;
export const RETRY_AFTER_MAX_MS = 60_000;

/** `--push remote-write` → 1, `remote-write:2` → 2; anything else one line. */
export function parsePushProtocol(text: string): 1 | 2 {
  if (text === 'remote-write' || text === 'remote-write:1') return 1;
  if (text === 'remote-write:2') return 2;
  throw new PromsoakError('PROMSOAK_USAGE', `--push "${text}": one of remote-write (1.0), remote-write:2 (2.0)`);
}

/** `--push-url`: an http URL with a host (remote write over https is out of scope: the fleet loads loopback systems). */
export function checkPushUrl(text: string | undefined): string {
  if (text === undefined || text === '') throw new PromsoakError('PROMSOAK_USAGE', '--push needs --push-url <the receiver\'s write URL>, e.g. http://127.0.0.1:9090/api/v1/write');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new PromsoakError('PROMSOAK_USAGE', `--push-url must be a URL (got "${text}")`);
  }
  if (u.protocol !== 'http:') throw new PromsoakError('PROMSOAK_USAGE', `--push-url must be an http:// URL (got "${text}")`);
  return u.href;
}

export interface PushFlags {
  push: string;
  pushUrl?: string;
  batch?: number;
  senders?: number;
  maxBacklog?: number;
  pushTimeout?: number;
}

export function pushOptions(o: PushFlags): PushOptions {
  return { ...pushSettings(o), url: checkPushUrl(o.pushUrl) };
}

/** Everything but the URL, checked (a soak learns its receiver's URL when it launches it). */
export function pushSettings(o: PushFlags): Omit<PushOptions, 'url'> {
  const int = (flag: string, v: number | undefined, def: number, max: number): number => {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || v < 1 || v > max) throw new PromsoakError('PROMSOAK_USAGE', `${flag} must be a whole number from 1 to ${max} (got ${String(v)})`);
    return v;
  };
  const batch = int('--batch', o.batch, PUSH_DEFAULTS.batch, PUSH_LIMITS.batch);
  const maxBacklog = int('--max-backlog', o.maxBacklog, PUSH_DEFAULTS.maxBacklog, PUSH_LIMITS.maxBacklog);
  if (maxBacklog < batch) throw new PromsoakError('PROMSOAK_USAGE', `--max-backlog ${maxBacklog} is below --batch ${batch}: not one request would fit`);
  let timeoutMs: number = PUSH_DEFAULTS.timeoutMs;
  if (o.pushTimeout !== undefined) {
    if (!(o.pushTimeout > 0 && o.pushTimeout <= 600)) throw new PromsoakError('PROMSOAK_USAGE', `--push-timeout must be seconds in (0, 600] (got ${String(o.pushTimeout)})`);
    timeoutMs = o.pushTimeout * 1000;
  }
  return {
    protocol: parsePushProtocol(o.push),
    batch,
    senders: checkBuffers(batch, int('--senders', o.senders, PUSH_DEFAULTS.senders, PUSH_LIMITS.senders)),
    maxBacklog,
    timeoutMs,
    drainMs: PUSH_DEFAULTS.drainMs,
  };
}

/** The push flags as parsed, for a command's options. */
export function pushArgs(a: { push?: string; pushUrl?: string; batch?: number; senders?: number; maxBacklog?: number; pushTimeout?: number }): Partial<PushFlags> {
  return { push: a.push, pushUrl: a.pushUrl, batch: a.batch, senders: a.senders, maxBacklog: a.maxBacklog, pushTimeout: a.pushTimeout };
}

/**
 * Each sender holds a request's worth of encoding buffer and as much again to compress into
 * (~160 B a sample raw, for the default profile): --batch × --senders is bounded so that they
 * cannot ask for gigabytes.
 */
function checkBuffers(batch: number, senders: number): number {
  if (batch * senders > PUSH_LIMITS.batchTimesSenders) {
    throw new PromsoakError('PROMSOAK_USAGE', `--batch ${batch} × --senders ${senders} = ${batch * senders} samples in flight at once, over the ${PUSH_LIMITS.batchTimesSenders} the senders' buffers are bounded to (each sender holds a whole request, raw and compressed): lower one of them`);
  }
  return senders;
}
