import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { connectFleet } from '../src/run/remote-fleet.js';
import { runSoak } from '../src/run/soak.js';
import { runCompare } from '../src/compare/compare.js';
import { ShardPoller } from '../src/run/shard-poller.js';
import { TargetHosts } from '../src/run/target-hosts.js';
import { hostList } from '../src/common/options.js';
import type { Summary } from '../src/analysis/summary.js';
import { CLI, ROOT } from './helpers/tools.js';

const tmp = (what: string): string => mkdtempSync(join(tmpdir(), `promsoak-hardening-${what}-`));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);

type Answer = { status?: number; body: string | Buffer } | undefined;

/**
 * A fake shard in front of a real fleet: each path answered by `override` when it says so,
 * else by the fleet (its /stats from fleetStats(), the rest fetched from it).
 */
class FakeShard {
  override: (path: string) => Answer = () => undefined;
  private server!: Server;
  url = '';
  constructor(readonly fleet: Fleet) {}

  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      void (async (): Promise<Answer> => this.override(path) ?? (path === '/stats' ? { body: JSON.stringify(this.fleet.fleetStats()) } : await this.forward(path)))().then((a) => {
        res.writeHead(a!.status ?? 200, { 'Content-Type': 'application/json' });
        res.end(a!.body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, host, () => r()));
    this.url = `http://${host}:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  private async forward(path: string): Promise<Answer> {
    const r = await fetch(this.fleet.url + path);
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** The CLI as a child, without blocking this process (the fake shards live here). */
function cli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((r) => child.once('close', (status) => (clearTimeout(timer), r({ status, stderr }))));
}

function oneLine(r: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('run --fleet: a shard whose answers are not a fleet\'s, at the start, is one line naming the shard, the path and the field, exit 2', () => {
  let fleet: Fleet;
  let shard: FakeShard;
  before(async () => {
    fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 } });
    shard = await new FakeShard(fleet).start();
  });
  after(async () => {
    await shard.close();
    await fleet.close();
  });
  const run = (...more: string[]) => cli(['run', '--fleet', shard.url, '--duration', '2', '--warmup', '0', '--out', tmp('runs'), ...more]);
  const stats = (change: (s: Record<string, unknown>) => void): string => {
    const s = fleet.fleetStats() as unknown as Record<string, unknown>;
    change(s);
    return JSON.stringify(s);
  };

  it('/stats without `fleet`', async () => {
    shard.override = (p) => (p === '/stats' ? { body: stats((s) => delete s.fleet) } : undefined);
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: not a promsoak fleet \\(its /stats: fleet is missing\\)\\n$`));
  });

  it('/stats whose field has the wrong type: the field named, with what was there', async () => {
    shard.override = (p) => (p === '/stats' ? { body: stats((s) => ((s.totals as Record<string, unknown>).cpuSeconds = 'lots')) } : undefined);
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: not a promsoak fleet \\(its /stats: totals\\.cpuSeconds: .*\\(got "lots"\\)\\)\\n$`));
  });

  it('/stats 100,000 levels deep', async () => {
    shard.override = (p) => (p === '/stats' ? { body: DEEP } : undefined);
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: not a promsoak fleet \\(/stats answered JSON nested deeper than 64 levels\\)\\n$`));
  });

  it('/stats over 1 MiB: read no further', async () => {
    shard.override = (p) => (p === '/stats' ? { body: stats((s) => (s.padding = 'x'.repeat(2 * 2 ** 20))) } : undefined);
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: not a promsoak fleet \\(/stats answered a body over 1048576 bytes\\)\\n$`));
  });

  it('/profile 100,000 levels deep (a profile this machine does not have, so it is read)', async () => {
    shard.override = (p) =>
      p === '/stats' ? { body: stats((s) => ((s.profile as Record<string, unknown>).name = 'not-shipped')) } : p === '/profile' ? { body: `{"families":${DEEP}}` } : undefined;
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: not a promsoak fleet \\(/profile answered JSON nested deeper than 64 levels\\)\\n$`));
  });

  it('/sd whose target is not host:port', async () => {
    shard.override = (p) => (p === '/sd' ? { body: JSON.stringify(fleet.targetGroups().map((g, i) => (i === 3 ? { ...g, targets: ['no port'] } : g))) } : undefined);
    oneLine(await run(), 2, new RegExp(`^promsoak: --fleet ${esc(shard.url)}: its /sd is not a list of target groups: \\[3\\]\\.targets\\[0\\]: must be host:port \\(got "no port"\\)\\n$`));
  });

  it('--allow-target-hosts without --fleet, or not a host: exit 2', async () => {
    oneLine(await cli(['run', 'smoke', '--allow-target-hosts', '127.0.0.2', '--duration', '1', '--out', tmp('runs')]), 2, /^promsoak: --allow-target-hosts applies to the targets of --fleet's shards: give --fleet too\n$/);
    oneLine(await run('--allow-target-hosts', 'http://x:1'), 2, /^promsoak: --allow-target-hosts http:\/\/x:1: not a host name or IP address \(hosts only, no port or scheme\)\n$/);
  });
});

describe('run --fleet: a shard\'s /sd may only send the engine to the shard\'s own host', () => {
  let fleet: Fleet;
  let shard: FakeShard;
  before(async () => {
    // The exporters on 127.0.0.2, the shard that lists them on 127.0.0.1.
    fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 }, host: '127.0.0.2' });
    shard = await new FakeShard(fleet).start('127.0.0.1');
  });
  after(async () => {
    await shard.close();
    await fleet.close();
  });

  it('targets on 127.0.0.2 from a shard on 127.0.0.1: refused naming both, exit 2', async () => {
    await assert.rejects(connectFleet({ fleet: shard.url }), (e: { code: string; exitCode: number; message: string }) => {
      assert.equal(e.exitCode, 2);
      assert.match(e.message, new RegExp(`^--fleet ${esc(shard.url)}: its /sd lists a target on 127\\.0\\.0\\.2, not on the shard's own host 127\\.0\\.0\\.1 \\(exporter 0\\); the engine scrapes only the shard's host unless told: --allow-target-hosts 127\\.0\\.0\\.2$`));
      return true;
    });
    oneLine(await cli(['run', '--fleet', shard.url, '--duration', '2', '--warmup', '0', '--out', tmp('runs')]), 2, /^promsoak: --fleet http:\/\/127\.0\.0\.1:\d+: its \/sd lists a target on 127\.0\.0\.2, not on the shard's own host 127\.0\.0\.1/);
  });

  it('accepted with --allow-target-hosts 127.0.0.2, and only with that host', async () => {
    const remote = await connectFleet({ fleet: shard.url, allowTargetHosts: '127.0.0.2' });
    assert.equal(remote.groups.length, 20);
    assert.ok(remote.groups.every((g) => g.targets[0] === `127.0.0.2:${fleet.ports[0]}`));
    // Another host allowed is not this one.
    await assert.rejects(connectFleet({ fleet: shard.url, allowTargetHosts: '127.0.0.3' }), /its \/sd lists a target on 127\.0\.0\.2/);
  });

  it('compare --fleet: refused before the first run, and --allow-target-hosts reaches its check', async () => {
    const out = tmp('compare');
    await assert.rejects(runCompare({ fleet: shard.url, repeat: 1, durationSeconds: 1, out }), /its \/sd lists a target on 127\.0\.0\.2, not on the shard's own host 127\.0\.0\.1/);
    await assert.rejects(runCompare({ allowTargetHosts: '127.0.0.2', repeat: 1, durationSeconds: 1, out }), /--allow-target-hosts applies to the targets of --fleet's shards: give --fleet too/);
  });

  it('hosts compare by address: localhost, 127.0.0.1 and ::1 are one host; a name that does not resolve is refused', async () => {
    const h = new TargetHosts([], 2000);
    assert.equal(await h.refuse('http://127.0.0.1:9400', 'localhost:9401'), undefined);
    assert.equal(await h.refuse('http://localhost:9400', '[::1]:9401'), undefined);
    assert.equal(await h.refuse('http://[::1]:9400', '127.0.0.1:9401'), undefined);
    assert.equal(await h.refuse('http://127.0.0.1:9400', '127.0.0.1:1'), undefined);
    assert.match((await h.refuse('http://127.0.0.1:9400', '127.0.0.2:9400'))!, /^a target on 127\.0\.0\.2, not on the shard's own host 127\.0\.0\.1$/);
    assert.match((await h.refuse('http://127.0.0.1:9400', 'no-such-host.invalid:9400'))!, /^a target on no-such-host\.invalid, which does not resolve/);
    assert.equal(await new TargetHosts(['127.0.0.2'], 2000).refuse('http://127.0.0.1:9400', '127.0.0.2:9400'), undefined);
    assert.deepEqual(hostList('--allow-target-hosts', ' 10.0.0.7, [::1],exporters.example '), ['10.0.0.7', '[::1]', 'exporters.example']);
    for (const bad of ['', ',', '10.0.0.7:9400', 'a b', 'http://x']) assert.throws(() => hostList('--allow-target-hosts', bad), (e: { exitCode: number }) => e.exitCode === 2, bad);
  });
});

describe('run --fleet: a shard whose /stats turns bad mid-soak is a shard down, never a crash', () => {
  it('/stats without `fleet` after 3 s: the soak completes, the shard reported down with the reason, summary.json written', { timeout: 120_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 } });
    const shard = await new FakeShard(fleet).start();
    const events: string[] = [];
    let bad = false;
    shard.override = (p) => {
      if (p !== '/stats' || !bad) return undefined;
      const s = fleet.fleetStats() as unknown as Record<string, unknown>;
      delete s.fleet;
      return { body: JSON.stringify(s) };
    };
    const turn = setTimeout(() => (bad = true), 3000);
    try {
      const r = await runSoak({ fleet: shard.url, durationSeconds: 4, warmupSeconds: 1, out: tmp('runs'), onFleetEvent: (l) => events.push(l) });
      assert.equal(r.summary.run.stopReason, 'completed');
      assert.equal(events.length, 1, events.join('\n'));
      assert.match(events[0]!, new RegExp(`^fleet shard 0/1 \\(${esc(shard.url)}\\) stopped answering /stats at t=\\d+\\.\\d s \\(its /stats is no longer a fleet's: fleet is missing\\): the soak goes on without its 20 exporters$`));
      assert.ok(existsSync(join(r.dir, 'summary.json')));
      const written = JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')) as Summary;
      const x = written.fleet.shards![0]!;
      assert.equal(x.upAtEnd, false);
      assert.equal(x.downReason, "its /stats is no longer a fleet's: fleet is missing");
      assert.ok(x.downSeconds >= 1, JSON.stringify(x));
    } finally {
      clearTimeout(turn);
      await shard.close();
      await fleet.close();
    }
  });

  it('ShardPoller: deep, oversized, not-JSON and fieldless answers each take the shard down with the reason; a good one brings it back', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 } });
    const shard = await new FakeShard(fleet).start();
    const events: string[] = [];
    const poller = new ShardPoller([{ url: shard.url, shard: { index: 0, count: 1 }, label: '0/1', stats: fleet.fleetStats() }], { intervalMs: 100, onEvent: (l) => events.push(l) });
    const cases: [Answer, RegExp][] = [
      [{ body: DEEP }, /^its \/stats answered JSON nested deeper than 64 levels$/],
      [{ body: 'x'.repeat(2 ** 20 + 1) }, /^its \/stats answered a body over 1048576 bytes$/],
      [{ body: '{"schemaVersion":1,' }, /^its \/stats answered not JSON/],
      [{ body: JSON.stringify({ ...fleet.fleetStats(), totals: null }) }, /^its \/stats is no longer a fleet's: totals: /],
      [{ status: 500, body: '{}' }, /^its \/stats answered HTTP status 500$/],
    ];
    try {
      poller.reset(Date.now());
      poller.start();
      for (const [answer, reason] of cases) {
        shard.override = (p) => (p === '/stats' ? answer : undefined);
        await sleep(400);
        const down = poller.next(1).shards![0]!;
        assert.equal(down.up, false, String(reason));
        assert.match(down.reason!, reason);
        shard.override = () => undefined;
        await sleep(400);
        assert.equal(poller.next(1).shards![0]!.up, true, String(reason));
      }
      assert.equal(events.length, 2 * cases.length, events.join('\n'));
    } finally {
      poller.stop();
      await shard.close();
      await fleet.close();
    }
  });
});
