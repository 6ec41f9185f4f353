import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { PortInUseError } from '../src/common/errors.js';
import { runCli } from './helpers/tools.js';

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** A listener on a free port P+2 with P and P+1 free a moment ago: serving thread 1's port for --port P. */
async function blockServingPort(): Promise<{ blocker: Server; base: number; taken: number }> {
  for (;;) {
    const blocker = (await listen(0))!;
    const taken = (blocker.address() as { port: number }).port;
    const free = await Promise.all([listen(taken - 2), listen(taken - 1)]);
    await Promise.all(free.map((s) => s && new Promise((r) => s.close(r))));
    if (taken - 2 > 1024 && free.every((s) => s !== null)) return { blocker, base: taken - 2, taken };
    blocker.close();
  }
}

/** The machine is shared: another process may take P or P+1 in between; then the case is tried again. */
async function tries(n: number, attempt: (base: number, taken: number) => Promise<'again' | void>): Promise<void> {
  for (let i = 0; i < n; i++) {
    const { blocker, base, taken } = await blockServingPort();
    try {
      if ((await attempt(base, taken)) !== 'again') return;
    } finally {
      blocker.close();
    }
  }
  assert.fail(`P or P+1 taken by another process in ${n} tries`);
}

test('a serving port already in use (P+1+k) is PortInUseError naming that port, not "the thread ended"', { timeout: 60_000 }, async () => {
  await tries(5, async (base, taken) => {
    const e = await startFleet({ profile: loadProfile('smoke'), threads: 2, port: base }).then(
      async (f) => (await f.close(), null),
      (x: Error) => x,
    );
    assert.ok(e, 'the fleet started on a port in use');
    assert.ok(e instanceof PortInUseError, `${e.name}: ${e.message}`);
    const named = /^port (\d+) on 127\.0\.0\.1 is already in use/.exec(e.message);
    assert.ok(named, e.message);
    return Number(named[1]) !== taken ? 'again' : undefined;
  });
  // The same from the command line: one line naming the port, no stack.
  await tries(5, async (base, taken) => {
    const r = runCli(['fleet', 'smoke', '--port', String(base), '--threads', '2']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const named = /port (\d+) on 127\.0\.0\.1 is already in use/.exec(r.stderr);
    assert.ok(named, r.stderr);
    return Number(named[1]) !== taken ? 'again' : undefined;
  });
});

/** One GET with Connection: close: the status and the body ('' when the connection failed). */
function getOnce(port: number, path: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`));
    let t = '';
    s.on('data', (d: Buffer) => (t += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(t);
      resolve(m ? { status: Number(m[1]), body: t.slice(t.indexOf('\r\n\r\n') + 4) } : null);
    });
  });
}

test('the main port while the serving threads start: /stats, /sd and /metrics are 503 "starting", never a crash or an empty /sd', { timeout: 60_000 }, async () => {
  // The free port P found here, or P+1/P+2 (the serving threads'), may be taken by another
  // process before the fleet binds them: then the case is tried again on another port.
  for (let attempt = 1; ; attempt++) {
    const probe = (await listen(0))!;
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const early: { path: string; status: number; body: string }[] = [];
    let started = false;
    const poll = (async () => {
      while (!started) {
        for (const path of ['/stats', '/sd', '/metrics']) {
          const r = await getOnce(port, path);
          if (r && !started) early.push({ path, ...r });
        }
      }
    })();
    let fleet: Awaited<ReturnType<typeof startFleet>>;
    try {
      fleet = await startFleet({ profile: loadProfile('smoke'), threads: 2, port });
    } catch (e) {
      if (e instanceof PortInUseError && attempt < 5) continue;
      throw e;
    } finally {
      // Whatever startFleet did, the poll ends: a poll left running keeps this file's process alive.
      started = true;
      await poll;
    }
    try {
      assert.ok(early.length > 0, 'no request reached the main port before the fleet was ready');
      for (const e of early) {
        if (e.status === 503) assert.match(e.body, /starting/, e.path);
        else {
          assert.equal(e.status, 200, `${e.path}: ${e.body}`);
          assert.ok(e.body.length > 0, `${e.path} answered 200 with an empty body`);
        }
      }
      const sd = await getOnce(port, '/sd');
      assert.equal(sd?.status, 200);
      assert.equal(JSON.parse(sd!.body).length, 20);
    } finally {
      await fleet.close();
    }
    return;
  }
});
