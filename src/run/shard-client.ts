import { Agent, request } from 'undici';

/** The largest answer read from a shard: /sd of a 100k-exporter fleet is ~10 MiB. */
const BODY_LIMIT = 64 * 2 ** 20;

/** Its own pool: one kept-alive connection per shard, so a poll a second opens nothing. */
const dispatcher = new Agent({ maxResponseSize: BODY_LIMIT, connections: 1, keepAliveTimeout: 30_000 });

/** Why a shard's answer could not be had: `unreachable` (no connection, no answer in time) or `bad` (an answer, but not the JSON asked for). */
export class ShardFetchError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'bad',
  ) {
    super(message);
  }
}

/**
 * GETs `url` and parses its JSON, all within `timeoutMs` (connection, headers and body).
 * Throws a ShardFetchError whose message is short enough to sit inside one line.
 */
export async function fetchShardJson(url: string, timeoutMs: number): Promise<unknown> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await request(url, { dispatcher, signal: abort.signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept: 'application/json' } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new ShardFetchError(`HTTP status ${res.statusCode}`, 'bad');
    try {
      return JSON.parse(text);
    } catch {
      throw new ShardFetchError(`not JSON (${JSON.stringify(text.slice(0, 40))}…)`, 'bad');
    }
  } catch (e) {
    if (e instanceof ShardFetchError) throw e;
    const code = (e as { code?: string }).code;
    if (abort.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new ShardFetchError(`no answer within ${timeoutMs} ms`, 'unreachable');
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw new ShardFetchError(`an answer over ${BODY_LIMIT} bytes`, 'bad');
    // undici wraps the socket's error: its cause says what happened (ECONNREFUSED, EHOSTUNREACH…).
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ShardFetchError(cause?.code ?? code ?? cause?.message ?? (e as Error).message, 'unreachable');
  } finally {
    clearTimeout(timer);
  }
}
