import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFleetUrls } from '../src/run/remote-fleet.js';
import { runSoak } from '../src/run/soak.js';
import { runCompare } from '../src/compare/compare.js';
import { ShardPoller } from '../src/run/shard-poller.js';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { readNdjson } from '../src/run/run-dir.js';
import { summarize } from '../src/analysis/summarize.js';
import { wireDigest, type WireProfile } from '../src/profile/digest.js';
import type { Frame, ShardFrame } from '../src/protocol/frame.js';
import type { FleetStats } from '../src/protocol/fleet-stats.js';
import { spawnShard, type ShardProcess } from '../scripts/lib/shard-process.js';
import { runCli } from './helpers/tools.js';
import { frame, meta } from './helpers/frames.js';

const tmp = (what: string): string => mkdtempSync(join(tmpdir(), `promsoak-remote-${what}-`));
/** A shard of the smoke profile (20 exporters × 33 series at 1 s: 660 samples/s), one render thread. */
const shard = (i: string, ...more: string[]): Promise<ShardProcess> => spawnShard(['smoke', '--shard', i, '--threads', '1', '--out', tmp('shard'), ...more]);

function oneLine(r: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

describe('run --fleet: shards that do not make one fleet are one line naming them', () => {
  const shards: ShardProcess[] = [];
  let a0: ShardProcess, a1: ShardProcess, b0: ShardProcess, other1: ShardProcess;
  before(async () => {
    [a0, a1, b0, other1] = await Promise.all([shard('0/2'), shard('1/2'), shard('0/2'), shard('1/2', '--exporters', '30')]);
    shards.push(a0, a1, b0, other1);
  });
  after(async () => {
    await Promise.all(shards.map((s) => s.stop()));
  });
  const run = (...args: string[]) => runCli(['run', ...args, '--duration', '2', '--warmup', '0', '--out', tmp('runs')]);

  it('--fleet takes base URLs (scheme optional); anything else is exit 2', () => {
    assert.deepEqual(parseFleetUrls('http://10.0.0.5:9400, 10.0.0.6:9400/'), ['http://10.0.0.5:9400', 'http://10.0.0.6:9400']);
    for (const bad of ['', ',', 'https://x:1', 'http://x:1/stats', 'http://u:p@x:1', 'http://x:1?q', 'http://[::1']) {
      assert.throws(() => parseFleetUrls(bad), (e: { code: string; exitCode: number }) => e.code === 'PROMSOAK_USAGE' && e.exitCode === 2, bad);
    }
  });

  it('a gap: the missing shard named, exit 2', () => {
    oneLine(run('--fleet', a0.url), 2, /^promsoak: --fleet: shard 1\/2 missing: their exporters would not be served \(0\/2 at http:\/\/127\.0\.0\.1:\d+\)\n$/);
  });

  it('an overlap: the shard given twice named, with where each one is, exit 2', () => {
    oneLine(run('--fleet', `${a0.url},${b0.url},${a1.url}`), 2, /shard 0\/2 \(2 times\) given more than once: their exporters would be served twice \(0\/2 at http:\/\/127\.0\.0\.1:\d+, 0\/2 at .*1\/2 at /);
  });

  it('another profile: both shards and their digests named, exit 2', () => {
    const r = run('--fleet', `${a0.url},${other1.url}`);
    oneLine(r, 2, /^promsoak: --fleet: the shards serve different profiles: shard 0\/2 at http:\S+ serves profile smoke \(sha256:[0-9a-f]{12}, 20 exporters\) but shard 1\/2 at http:\S+ serves profile smoke \(sha256:[0-9a-f]{12}, 30 exporters\)/);
  });

  it('a profile named that is not the shards\': exit 2 with both digests; --exporters that is not theirs too', () => {
    oneLine(run('default', '--fleet', `${a0.url},${a1.url}`), 2, /^promsoak: profile default \(sha256:[0-9a-f]{12}, 1000 exporters\) is not the one the shards serve: shard 0\/2 at \S+ serves profile smoke \(sha256:[0-9a-f]{12}, 20 exporters\)/);
    oneLine(run('--fleet', `${a0.url},${a1.url}`, '--exporters', '40'), 2, /^promsoak: --exporters 40: the shards serve 20 exporters/);
  });

  it('an unreachable shard: named, exit 1; something that is not a fleet: exit 2', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    oneLine(run('--fleet', `${a0.url},http://127.0.0.1:${port}`), 1, new RegExp(`^promsoak: --fleet http://127\\.0\\.0\\.1:${port}: the fleet does not answer /stats \\(ECONNREFUSED\\)\\n$`));
    // Not a fleet: a server that answers 404 to everything (runCli blocks this process: a child serves it).
    const server = spawn(process.execPath, ['-e', "require('http').createServer((q, r) => { r.writeHead(404); r.end('no'); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); })"], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const notFleet = await new Promise<string>((r) => server.stdout.once('data', (d: Buffer) => r(`http://127.0.0.1:${d.toString().trim()}`)));
      oneLine(run('--fleet', `${a0.url},${notFleet}`), 2, new RegExp(`^promsoak: --fleet ${notFleet}: not a promsoak fleet \\(/stats answered HTTP status 404\\)\\n$`));
    } finally {
      server.kill();
    }
  });

  it('GET /profile is the profile /stats names (its digest)', async () => {
    const stats = (await (await fetch(`${a0.url}/stats`)).json()) as FleetStats;
    const wire = (await (await fetch(`${a0.url}/profile`)).json()) as WireProfile;
    assert.equal(wire.name, 'smoke');
    assert.equal(wire.exporters, 20);
    assert.equal(wireDigest(wire), stats.profile.digest);
  });
});

const x1DownAt = (s: { fleet: { shards?: { shard: string; downAtT: number | null }[] } }): number => s.fleet.shards!.find((y) => y.shard === '1/2')!.downAtT!;

/** Each frame's entry for shard `name`. */
const shardIn = (f: Frame, name: string): ShardFrame | undefined => f.fleet.shards?.find((s) => s.shard === name);

describe('run --fleet: a soak of two shards on loopback', () => {
  it('ingests what the shards offer (within 2 %), with both shards in every frame', { timeout: 120_000 }, async () => {
    const [s0, s1] = await Promise.all([shard('1/2'), shard('0/2')]); // given out of order: the order does not matter
    try {
      const r = await runSoak({ fleet: `${s0.url},${s1.url}`, durationSeconds: 8, warmupSeconds: 2, out: tmp('runs') });
      const s = r.summary;
      assert.equal(r.exitCode, 0, s.verdict.join('\n'));
      assert.equal(s.run.profile, 'smoke');
      assert.equal(s.load.expectedSamplesPerSecond, 660);
      assert.ok(Math.abs(s.samplesPerSecond.mean - 660) / 660 <= 0.02, `samples/s ${s.samplesPerSecond.mean}`);
      assert.equal(s.scrapes.failed, 0);
      // The merged file_sd: every exporter once, each at its shard.
      const sd = JSON.parse(readFileSync(join(r.dir, 'file_sd.json'), 'utf8')) as { targets: string[]; labels: { exporter: string } }[];
      assert.deepEqual(sd.map((g) => Number(g.labels.exporter)), Array.from({ length: 20 }, (_, i) => i));
      // (On the shard's serving thread's port, which its ready line names.)
      const servingHost = (p: ShardProcess): string => `${new URL(p.url).hostname}:${/1 serving thread \(port (\d+)\)/.exec(p.readyLine)![1]}`;
      for (const g of sd) assert.deepEqual(g.targets, [servingHost(Number(g.labels.exporter) % 2 === 1 ? s0 : s1)]);
      const frames = readNdjson<Frame>(join(r.dir, 'frames.ndjson'));
      assert.ok(frames.length >= 9, `${frames.length} frames`);
      for (const f of frames) {
        assert.deepEqual(f.fleet.shards?.map((x) => x.shard), ['1/2', '0/2']);
        for (const x of f.fleet.shards!) assert.ok(x.up && x.exporters === 10 && x.cores >= 1, JSON.stringify(x));
      }
      // Every scrape the engine made was served by one shard or the other, and counted there.
      const served = frames.reduce((a, f) => a + f.fleet.scrapesServed, 0);
      assert.ok(served >= 0.9 * (s.scrapes.ok ?? 0), `${served} served, ${s.scrapes.ok} scraped`);
      assert.ok(frames.filter((f) => !f.warmup).every((f) => f.fleet.shards!.some((x) => x.cpuCores !== null)), 'shard CPU in the frames');
      assert.deepEqual(s.fleet.shards?.map((x) => [x.shard, x.downSeconds, x.upAtEnd]), [['1/2', 0, true], ['0/2', 0, true]]);
      assert.equal(s.fleet.offeredSamplesPerSecond, 660);
      assert.equal(s.fleet.sharedWithEngine, true); // on this host
    } finally {
      await Promise.all([s0.stop(), s1.stop()]);
    }
  });

  it('a shard killed mid-soak: the soak goes on, frames mark it down, the verdict names it and ties its failed scrapes to it', { timeout: 120_000 }, async () => {
    const [s0, s1] = await Promise.all([shard('0/2'), shard('1/2')]);
    const events: string[] = [];
    try {
      const killed = new Promise<void>((resolve) => setTimeout(() => (s1.child.kill('SIGKILL'), resolve()), 6000));
      const r = await runSoak({ fleet: `${s0.url},${s1.url}`, durationSeconds: 10, warmupSeconds: 2, out: tmp('runs'), onFleetEvent: (l) => events.push(l) });
      await killed;
      const s = r.summary;
      assert.equal(s.run.stopReason, 'completed');
      assert.equal(r.exitCode, 0);
      assert.equal(events.length, 1, events.join('\n'));
      assert.match(events[0]!, new RegExp(`^fleet shard 1/2 \\(${s1.url}\\) stopped answering /stats at t=\\d+\\.\\d s \\(\\S+\\): the soak goes on without its 10 exporters$`));
      const frames = readNdjson<Frame>(join(r.dir, 'frames.ndjson'));
      const down = frames.filter((f) => shardIn(f, '1/2')?.up === false);
      assert.ok(down.length >= 3, `${down.length} frames with 1/2 down`);
      assert.ok(frames.at(-1)!.fleet.shards!.every((x) => (x.shard === '1/2') !== x.up), 'at the end: 0/2 up, 1/2 down');
      assert.ok(down.every((f) => shardIn(f, '1/2')!.cpuCores === null && typeof shardIn(f, '1/2')!.reason === 'string'));
      const x = s.fleet.shards!.find((y) => y.shard === '1/2')!;
      assert.equal(x.upAtEnd, false);
      assert.ok(x.downSeconds >= 3 && x.downAtT !== null && x.downAtT >= 4 && x.downAtT <= 9, JSON.stringify(x));
      // What the live shards offered: 660 until the death, 330 after.
      assert.ok(s.fleet.offeredSamplesPerSecond! > 330 && s.fleet.offeredSamplesPerSecond! < 660, `offered ${s.fleet.offeredSamplesPerSecond}`);
      const line = s.verdict.find((v) => v.startsWith('the load dropped because fleet shard 1/2'));
      assert.ok(line, s.verdict.join('\n'));
      assert.match(line, /died at t=\d+(\.\d+)? s .*not through the system's fault: its 10 of 20 exporters went unserved, so the live shards offered \d+ samples\/s on average over the window, not 660/);
      // The engine's own view: 1/2's targets down with connection failures, 0/2's untouched.
      assert.ok(x.scrapesFailed! > 0 && (x.failedByReason!.connection ?? 0) > 0, JSON.stringify(x));
      assert.equal(x.targetsDown, 10);
      assert.equal(s.fleet.shards!.find((y) => y.shard === '0/2')!.scrapesFailed, 0);
      // Evenness is judged against what was offered: the seconds after the death are not starved ones.
      assert.ok(s.starvation.seconds.filter((x) => x.t > x1DownAt(s) + 1).length === 0, JSON.stringify(s.starvation.seconds));
      assert.ok(s.verdict.some((v) => /^the engine's targets of fleet shard 1\/2: 10 of 10 down at the end, \d+ scrapes failed \(\d+ connection.*\), the shard's death, not the engine's; the other shards' 10 exporters: 0 failed scrapes\.$/.test(v)), s.verdict.join('\n'));
    } finally {
      await Promise.all([s0.stop(), s1.stop()]);
    }
  });
});

describe('ShardPoller', () => {
  it('a shard that starts serving another profile mid-soak is down, said once; back with its own, up again', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 } });
    let digest: string | undefined;
    // In front of the fleet: its /stats, with the digest swapped when asked.
    const proxy = createServer((_req, res) => {
      const st = fleet.fleetStats();
      if (digest) st.profile = { ...st.profile, name: 'other', digest };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(st));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const events: string[] = [];
    const poller = new ShardPoller([{ url, shard: { index: 0, count: 1 }, label: '0/1', stats: fleet.fleetStats() }], { intervalMs: 100, onEvent: (l) => events.push(l) });
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 400));
    try {
      poller.reset(Date.now());
      poller.start();
      await settle();
      assert.equal(poller.next(1).shards![0]!.up, true);
      digest = 'sha256:' + '0'.repeat(64);
      await settle();
      const down = poller.next(1).shards![0]!;
      assert.deepEqual([down.up, down.cpuCores, down.scrapesServed], [false, null, null]);
      assert.match(down.reason!, /^it now serves another profile \(other, sha256:000000000000\)$/);
      digest = undefined;
      await settle();
      assert.equal(poller.next(1).shards![0]!.up, true);
      assert.equal(events.length, 2, events.join('\n'));
      assert.match(events[0]!, new RegExp(`^fleet shard 0/1 \\(${url}\\) stopped answering /stats at t=\\d+\\.\\d s \\(it now serves another profile`));
      assert.match(events[1]!, /^fleet shard 0\/1 .* answers again at t=\d+\.\d s, after \d+\.\d s down$/);
    } finally {
      poller.stop();
      await new Promise<void>((r) => proxy.close(() => r()));
      await fleet.close();
    }
  });
});

describe('compare --fleet', () => {
  it('passes the shards to every run: each run soaks them, with their profile', { timeout: 120_000 }, async () => {
    const [s0, s1] = await Promise.all([shard('0/2'), shard('1/2')]);
    try {
      const r = await runCompare({ fleet: `${s0.url},${s1.url}`, ingesters: ['cached', 'naive'], repeat: 1, durationSeconds: 3, warmupSeconds: 1, out: tmp('compare') });
      assert.equal(r.results.length, 2);
      for (const v of r.results) {
        const s = v.runs[0]!.summary;
        assert.equal(s.run.profile, 'smoke');
        assert.deepEqual(s.fleet.shards?.map((x) => [x.shard, x.url]), [['0/2', s0.url], ['1/2', s1.url]]);
        assert.ok(Math.abs(s.samplesPerSecond.mean - 660) / 660 <= 0.05, `${v.variant.label}: ${s.samplesPerSecond.mean} samples/s`);
      }
    } finally {
      await Promise.all([s0.stop(), s1.stop()]);
    }
  });
});

describe('fleet saturated, per shard', () => {
  const withShards = (i: number, a: Partial<ShardFrame>, b: Partial<ShardFrame>): Frame => {
    const base = { url: 'http://h:1', up: true, cpuCores: 0.1, queued: 0, scrapesServed: 5, cores: 1, exporters: 50 };
    const shards = [{ ...base, shard: '0/2', ...a }, { ...base, url: 'http://h:2', shard: '1/2', ...b }];
    return frame(i, 10000, { fleet: { cpuCores: shards.reduce((x, s) => x + (s.cpuCores ?? 0), 0), queued: 0, scrapesServed: 10, shards } });
  };

  it('one shard at its cores is the fleet saturated, named; the sum against all cores would not have said it', () => {
    const frames = Array.from({ length: 10 }, (_, i) => withShards(i, { cpuCores: 0.95 }, { cpuCores: 0.05 }));
    const s = summarize(frames, [], { ...meta, fleetCores: 2 });
    assert.equal(s.fleet.saturated, true);
    assert.equal(s.fleet.reason, 'fleet shard 0/2 (http://h:1) used 0.95 of its 1 core at p99');
    assert.deepEqual(s.fleet.shards!.map((x) => x.saturated), [true, false]);
    assert.ok(s.verdict.some((v) => v.startsWith('WARNING: the load generator was saturated (fleet shard 0/2')));
  });

  it('a shard whose render queue waited in most seconds while it was busy is saturated; seconds it did not answer do not count', () => {
    const frames = Array.from({ length: 10 }, (_, i) => withShards(i, {}, i % 2 ? { queued: 3, cpuCores: 0.6 } : { cpuCores: null, queued: null }));
    const s = summarize(frames, [], { ...meta, fleetCores: 2 });
    assert.equal(s.fleet.reason, 'fleet shard 1/2 (http://h:2) had a serving thread saturated in 4 of 4 s');
    // A queue while the shard idles (a scraper's burst of concurrent scrapes) is not saturation.
    const idle = summarize(Array.from({ length: 10 }, (_, i) => withShards(i, {}, { queued: 3, cpuCores: 0.1 })), [], { ...meta, fleetCores: 2 });
    assert.equal(idle.fleet.saturated, false);
  });

  it('a shard down for part of the window: what the others offered, and the verdict says it was not the system', () => {
    const frames = Array.from({ length: 10 }, (_, i) => withShards(i, {}, i >= 6 ? { up: false, cpuCores: null, queued: null, scrapesServed: null, reason: 'ECONNREFUSED' } : {}));
    const s = summarize(frames, [], { ...meta, fleetCores: 2 });
    const x = s.fleet.shards![1]!;
    assert.deepEqual([x.downSeconds, x.downAtT, x.downReason, x.upAtEnd], [4, 7, 'ECONNREFUSED', false]);
    // 100 exporters × 100 series at 1 s = 10,000/s; 8 measured seconds, the last 4 with half of them.
    assert.equal(s.fleet.offeredSamplesPerSecond, 7500);
    // Down since the warm-up (frames 0 and 1): dated by its first down frame there.
    const early = summarize(Array.from({ length: 10 }, (_, i) => withShards(i, {}, i >= 1 ? { up: false, reason: 'no answer for 3 s' } : {})), [], { ...meta, fleetCores: 2 });
    assert.deepEqual([early.fleet.shards![1]!.downAtT, early.fleet.shards![1]!.downSeconds], [2, 8]);
    assert.ok(s.verdict.some((v) => v.startsWith('the load dropped because fleet shard 1/2 (http://h:2) died at t=7.0 s (ECONNREFUSED), not through the system\'s fault: its 50 of 100 exporters went unserved, so the live shards offered 7,500 samples/s')));
  });

  it('without shards nothing changes: the fleet against its own cores', () => {
    const s = summarize(Array.from({ length: 6 }, (_, i) => frame(i, 10000)), [], meta);
    assert.equal(s.fleet.shards, undefined);
    assert.equal(s.fleet.offeredSamplesPerSecond, undefined);
    assert.equal(s.fleet.saturated, false);
  });
});
