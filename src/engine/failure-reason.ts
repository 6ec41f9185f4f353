import { ParseError, SampleLimitError, ScrapeError } from '../common/errors.js';
import { type FailureReason, FAILURE_REASONS } from '../protocol/engine-channels.js';

/**
 * Why a scrape failed, as one of a few stable reasons (the engine's /metrics, the soak's
 * frames and summary count by them), from the error the client, the parser or the ingester
 * threw. The client's messages are Go's net/http and Prometheus's where they exist.
 */
export function failureReason(e: Error): FailureReason {
  if (e instanceof ParseError) return 'parse';
  if (e instanceof SampleLimitError) return 'sample_limit';
  if (!(e instanceof ScrapeError)) return 'ingester';
  const m = e.message;
  if (m.startsWith('scrape timed out')) return 'timeout';
  if (m.startsWith('server returned HTTP status')) return 'http_status';
  if (m.startsWith('body size limit exceeded')) return 'body_limit';
  if (/connection refused|connection reset|closed the connection|connection closed|ECONN|EPIPE|socket/i.test(m)) return 'connection';
  if (/malformed|chunked|unexpected data|headers larger|Transfer-Encoding|Content-Length|Content-Encoding/i.test(m)) return 'bad_response';
  return 'other';
}

/** The reason's index in FAILURE_REASONS (what crosses diagnostics_channel, allocation-free). */
export const reasonIndex = (r: FailureReason): number => FAILURE_REASONS.indexOf(r);
