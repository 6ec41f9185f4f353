import { PromsoakError } from '../common/errors.js';
import { CachedIngester } from './ingest/cached.js';
import type { Ingester } from './ingest/ingester.js';
import { RemoteWriteIngester } from './ingest/remote-write.js';
import { RemoteWriteServer } from './remote-write-server.js';
import type { SelfMetrics } from './self-metrics.js';
import type { ScrapeLog } from '../protocol/scrape-log.js';

/**
 * The engine's remote-write receiver (`--receive <port>`): into the cached ingester's head,
 * counted in the engine's self-metrics and the telemetry agent's frames as scrapes are
 * (samples ingested, series added), plus its requests by status. Only the cached ingester has a head it can share; another one is a
 * usage error.
 */
export async function startReceiver(
  ingester: Ingester,
  name: string,
  port: number,
  metrics: SelfMetrics,
  /** The telemetry agent's, when one listens: its frames count the received samples as scraped ones. */
  log?: ScrapeLog,
): Promise<{ receiver: RemoteWriteServer; url: string }> {
  if (!(ingester instanceof CachedIngester)) {
    throw new PromsoakError('PROMSOAK_USAGE', `--receive needs the cached ingester (its head takes the pushed samples); --ingester ${name} has none`);
  }
  const receiver = new RemoteWriteServer(new RemoteWriteIngester(ingester.head), {
    stored: (samples, added) => {
      metrics.remoteWriteStored(samples, added);
      log?.received(samples, added);
    },
    rejected: (status) => metrics.remoteWriteRejected(status),
  });
  try {
    return { receiver, url: await receiver.listen(port) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PromsoakError('PROMSOAK_PORT_IN_USE', `--receive ${port} is already in use (0 picks a free one)`);
    throw e;
  }
}
