import { Agent, request } from 'undici';
import { parseBoundedJson } from '../common/bounded-json.js';

/** The most read of a shard's /stats: a few kB in practice. */
export const STATS_BODY_LIMIT = 2 ** 20;
/** The most read of a shard's /profile, and of its /sd up to 8192 exporters (see sdBodyLimit). */
export const BODY_LIMIT = 4 * 2 ** 20;
/** /sd's bytes allowed per exporter the shard says it serves: a target group is ~120 bytes, ~380 with a 253-character host. */
const SD_BYTES_PER_EXPORTER = 512;

/** /sd of a shard that serves `exporters` (its /stats): 4 MiB, more for a big shard (100k exporters: 49 MiB). */
export const sdBodyLimit = (exporters: number): number => Math.max(BODY_LIMIT, exporters * SD_BYTES_PER_EXPORTER);

/** Its own pool: one kept-alive connection per shard, so a poll a second opens nothing. The response size is bounded per request (below). */
const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 30_000 });

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
 * GETs `url` and parses its JSON, all within `timeoutMs` (connection, headers and body),
 * reading at most `limitBytes` of the body (beyond that the request is aborted) and nesting
 * at most MAX_JSON_DEPTH deep. Throws a ShardFetchError whose message is short enough to sit
 * inside one line.
 */
export async function fetchShardJson(url: string, timeoutMs: number, limitBytes: number): Promise<unknown> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await request(url, { dispatcher, signal: abort.signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept: 'application/json' } });
    const over = (): ShardFetchError => {
      abort.abort();
      return new ShardFetchError(`a body over ${limitBytes} bytes`, 'bad');
    };
    if (Number(res.headers['content-length']) > limitBytes) throw over();
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.byteLength;
      if (bytes > limitBytes) throw over();
      chunks.push(chunk);
    }
    if (res.statusCode !== 200) throw new ShardFetchError(`HTTP status ${res.statusCode}`, 'bad');
    const json = parseBoundedJson(Buffer.concat(chunks, bytes).toString('utf8'));
    if (!json.ok) throw new ShardFetchError(json.why, 'bad');
    return json.value;
  } catch (e) {
    if (e instanceof ShardFetchError) throw e;
    const code = (e as { code?: string }).code;
    if (abort.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new ShardFetchError(`no answer within ${timeoutMs} ms`, 'unreachable');
    // undici wraps the socket's error: its cause says what happened (ECONNREFUSED, EHOSTUNREACH…).
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ShardFetchError(cause?.code ?? code ?? cause?.message ?? (e as Error).message, 'unreachable');
  } finally {
    clearTimeout(timer);
  }
}
