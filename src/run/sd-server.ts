import { createServer } from 'node:http';
import type { TargetGroup } from '../fleet/sd.js';

/**
 * The merged target list of remote shards as an http_sd endpoint on 127.0.0.1, for a target
 * whose command line takes `{http_sd}`: one URL for every shard's exporters, as the soak's own
 * fleet's /sd is.
 */
export async function serveSd(groups: readonly TargetGroup[]): Promise<{ url: string; set(groups: readonly TargetGroup[]): void; close(): Promise<void> }> {
  let body = JSON.stringify(groups);
  const server = createServer((req, res) => {
    const ok = req.url === '/sd' || req.url === '/sd/';
    res.writeHead(ok ? 200 : 404, { 'Content-Type': ok ? 'application/json' : 'text/plain' });
    res.end(ok ? body : 'the merged targets of the --fleet shards are at /sd\n');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/sd`,
    /** Serves these groups from now on (a capacity ramp offers a prefix of the merged list). */
    set: (g) => {
      body = JSON.stringify(g);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
