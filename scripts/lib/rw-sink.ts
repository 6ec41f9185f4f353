import { createServer } from 'node:http';

/**
 * A remote-write receiver that discards (its own process: `node dist/scripts/lib/rw-sink.js`):
 * reads each request's body, answers 204, counts requests and bytes. It prints its port on
 * stdout once listening, and its counts as JSON on SIGTERM before exiting. For benchmarks of
 * the sender, whose receiver must cost nothing it could be blamed for.
 */
let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    requests++;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ requests, bytes })}\n`);
  process.exit(0);
});
// Never outlives the bench that started it.
process.on('disconnect', () => process.exit(0));
