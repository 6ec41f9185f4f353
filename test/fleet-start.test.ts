import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { PortInUseError } from '../src/common/errors.js';
import { runCli } from './helpers/tools.js';

/** A listener on a free port P+2 (P and P+1 left free): serving thread 1's port for --port P. */
async function blockServingPort(): Promise<{ blocker: Server; base: number; taken: number }> {
  for (;;) {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    if (taken - 2 > 1024) return { blocker, base: taken - 2, taken };
    blocker.close();
  }
}

test('a serving port already in use (P+1+k) is PortInUseError naming that port, not "the thread ended"', { timeout: 30_000 }, async () => {
  const { blocker, base, taken } = await blockServingPort();
  try {
    await assert.rejects(startFleet({ profile: loadProfile('smoke'), threads: 2, port: base }), (e: Error) => {
      assert.ok(e instanceof PortInUseError, `${e.name}: ${e.message}`);
      assert.match(e.message, new RegExp(`^port ${taken} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
    // The same from the command line: one line naming the port, no stack.
    const r = runCli(['fleet', 'smoke', '--port', String(base), '--threads', '2']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});
