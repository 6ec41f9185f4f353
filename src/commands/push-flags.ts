import type { Argv } from 'yargs';
import { PUSH_DEFAULTS } from '../push/push-options.js';

/** The flags of a pushing fleet (`--push` and its kin), for `fleet` (and later `run`, `compare`). */
export function withPushOptions<T>(y: Argv<T>) {
  return y
    .option('push', { type: 'string', describe: 'Push the exporters\' samples by remote write instead of waiting to be scraped: remote-write (1.0) or remote-write:2 (2.0)' })
    .option('push-url', { type: 'string', describe: 'The receiver\'s write URL, e.g. http://127.0.0.1:9090/api/v1/write' })
    .option('batch', { type: 'number', describe: `Samples per request (default ${PUSH_DEFAULTS.batch}, Prometheus's max_samples_per_send)` })
    .option('senders', { type: 'number', describe: `Concurrent connections, one request in flight each (default ${PUSH_DEFAULTS.senders}; at least one per serving thread)` })
    .option('max-backlog', { type: 'number', describe: `Samples generated and not yet acknowledged past which the oldest batches are dropped and counted (default ${PUSH_DEFAULTS.maxBacklog})` })
    .option('push-timeout', { type: 'number', describe: `Seconds a request may go unanswered before it is retried (default ${PUSH_DEFAULTS.timeoutMs / 1000})` });
}

