import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../src/profile/load.js';
import { startFleet, type Fleet } from '../src/fleet/fleet.js';
import { checkCoverage, describeIds, inShard, parseShard, shardIds, shardSize } from '../src/fleet/shard.js';
import type { TargetGroup } from '../src/fleet/sd.js';
import { CLI, runCli } from './helpers/tools.js';

const OM = 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5';

async function get(url: string, accept?: string): Promise<{ status: number; body: Buffer }> {
  const r = await fetch(url, accept ? { headers: { accept } } : undefined);
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

describe('shards: the partition', () => {
  it('parseShard takes i/n with 0 ≤ i < n; anything else is one line, PROMSOAK_USAGE', () => {
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
    assert.deepEqual(parseShard('6/7'), { index: 6, count: 7 });
    for (const [text, why] of [
      ['3/2', /the index i must be in 0\.\.1 .*got 3/],
      ['2/2', /the index i must be in 0\.\.1/],
      ['0/0', /the shard count n must be in 1\.\.100000 \(got 0\)/],
      ['x', /--shard must be i\/n/],
      ['1/x', /--shard must be i\/n/],
      ['-1/2', /--shard must be i\/n/],
      ['1.5/2', /--shard must be i\/n/],
      ['', /--shard must be i\/n/],
    ] as const) {
      assert.throws(
        () => parseShard(text),
        (e: unknown) => {
          const err = e as { code: string; exitCode: number; message: string };
          assert.equal(err.code, 'PROMSOAK_USAGE', text);
          assert.equal(err.exitCode, 2);
          assert.match(err.message, why, text);
          assert.equal(err.message.split('\n').length, 1);
          return true;
        },
      );
    }
  });

  it('n shards take every id once, balanced to within one', () => {
    for (const exporters of [0, 1, 20, 1000, 1001]) {
      for (const n of [1, 2, 3, 7, 64]) {
        const owners = new Array<number>(exporters).fill(0);
        const sizes: number[] = [];
        for (let i = 0; i < n; i++) {
          const ids = shardIds(exporters, { index: i, count: n });
          assert.equal(ids.length, shardSize(exporters, { index: i, count: n }));
          for (const id of ids) {
            assert.ok(inShard(id, { index: i, count: n }));
            owners[id]!++;
          }
          sizes.push(ids.length);
        }
        assert.ok(owners.every((k) => k === 1), `${exporters} exporters, ${n} shards`);
        if (exporters > 0) assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }
    }
    assert.ok(inShard(5, null));
    assert.equal(describeIds(20, { index: 1, count: 3 }), '<1,4,7..19>');
    assert.equal(describeIds(20, null), '<0..19>');
    assert.equal(describeIds(2, { index: 4, count: 7 }), '<none>');
  });

  it('checkCoverage: null for exactly once; else one line naming the shards', () => {
    const s = (...xs: string[]) => xs.map(parseShard);
    assert.equal(checkCoverage(s('0/1')), null);
    assert.equal(checkCoverage(s('2/3', '0/3', '1/3')), null);
    assert.equal(checkCoverage(s('0/3', '2/3')), 'shard 1/3 missing: their exporters would not be served');
    assert.equal(checkCoverage(s('0/2', '1/2', '1/2')), 'shard 1/2 (2 times) given more than once: their exporters would be served twice');
    assert.equal(checkCoverage(s('0/2', '0/2', '1/3')), 'the shards disagree on how many there are: 0/2, 0/2 split the fleet 2 ways, 1/3 split the fleet 3 ways');
    assert.equal(checkCoverage([{ index: 3, count: 2 }]), 'shard 3/2 out of range (i/n needs 0 ≤ i < n)');
    assert.equal(checkCoverage([]), 'no shards given: at least one fleet is needed');
    assert.match(checkCoverage(s('0/100'))!, /^shards 1\/100, 2\/100, .*10\/100 and 89 more missing/);
    assert.equal(checkCoverage(s('0/3', '0/3'))!.split('\n').length, 1);
    assert.equal(checkCoverage(s('0/3', '0/3')), 'shard 0/3 (2 times) given more than once: their exporters would be served twice; shards 1/3, 2/3 missing: their exporters would not be served');
  });
});

describe('shards: n fleets serve exactly the one fleet', () => {
  it('for n = 1, 2, 3, 7: the same exporter ids once, each 404 elsewhere, and byte-identical bodies at the same time', { timeout: 120_000 }, async () => {
    const profile = loadProfile('smoke');
    const single = await startFleet({ profile, threads: 1 });
    // Shards started later share the single fleet's epoch (`--epoch`): render time 0 is the same instant.
    const epochMs = single.fleetStats().fleet.epochMs;
    const all: Fleet[] = [single];
    try {
      const singleIds = (await (await fetch(single.httpSd)).json() as TargetGroup[]).map((g) => Number(g.labels.exporter));
      assert.deepEqual(singleIds, [...Array(20).keys()]);
      for (const n of [1, 2, 3, 7]) {
        const shards: Fleet[] = [];
        for (let i = 0; i < n; i++) shards.push(await startFleet({ profile, threads: 1, shard: { index: i, count: n }, epochMs }));
        all.push(...shards);
        // /sd: every id once over the shards, each group on its own shard's host:port.
        const owner = new Map<number, Fleet>();
        for (const f of shards) {
          const groups = (await (await fetch(f.httpSd)).json()) as TargetGroup[];
          for (const g of groups) {
            const id = Number(g.labels.exporter);
            assert.ok(!owner.has(id), `n=${n}: exporter ${id} in two shards`);
            owner.set(id, f);
            assert.equal(g.targets.length, 1);
            assert.ok(f.ports.map((p) => `127.0.0.1:${p}`).includes(g.targets[0]!), `n=${n}: ${g.targets[0]} is not one of the shard's serving ports`);
            assert.equal(g.labels.__metrics_path__, `/exporters/${id}/metrics`);
          }
          assert.deepEqual(f.ids, [...owner].filter(([, o]) => o === f).map(([id]) => id));
        }
        assert.deepEqual([...owner.keys()].sort((a, b) => a - b), singleIds, `n=${n}`);
        assert.equal(checkCoverage(shards.map((f) => f.shard!)), null);
        for (const id of singleIds) {
          const mine = owner.get(id)!;
          for (const f of shards) {
            if (f === mine) continue;
            const r = await get(`${f.url}/exporters/${id}/metrics`);
            assert.equal(r.status, 404, `n=${n}: exporter ${id} from shard ${f.shard!.index}`);
            assert.match(r.body.toString(), /shard \d+\/\d+/);
          }
          for (const accept of [undefined, OM]) {
            // Bodies change every second: a shard's body fetched between two equal single-fleet
            // bodies was rendered at the same render time, so it must be the same bytes.
            let compared = false;
            for (let attempt = 0; attempt < 5 && !compared; attempt++) {
              const before = await get(`${single.url}/exporters/${id}/metrics`, accept);
              const shard = await get(`${mine.url}/exporters/${id}/metrics`, accept);
              const after = await get(`${single.url}/exporters/${id}/metrics`, accept);
              assert.equal(shard.status, 200);
              if (!before.body.equals(after.body)) continue; // a second's edge fell between: again
              assert.ok(shard.body.equals(before.body), `n=${n}, exporter ${id}, ${accept ? 'OpenMetrics' : 'text'}: the shard's body differs`);
              compared = true;
            }
            assert.ok(compared, `n=${n}, exporter ${id}: five tries each crossed a second's edge`);
          }
        }
        const digests = new Set([single, ...shards].map((f) => f.fleetStats().profile.digest));
        assert.equal(digests.size, 1, 'one profile, one digest');
      }
    } finally {
      await Promise.all(all.map((f) => f.close()));
    }
  });
});

describe('shards: the command', () => {
  it('--shard 3/2, 0/0, a non-number: exit 2 with one line, nothing started', () => {
    for (const [arg, why] of [
      ['3/2', /^promsoak: --shard 3\/2: the index i must be in 0\.\.1 \(shards are counted from 0; got 3\)\n$/],
      ['0/0', /^promsoak: --shard 0\/0: the shard count n must be in 1\.\.100000 \(got 0\)\n$/],
      ['two', /^promsoak: --shard must be i\/n, two integers with 0 ≤ i < n \(shard i of n, counted from 0\) \(got "two"\)\n$/],
      ['1/three', /^promsoak: --shard must be i\/n/],
    ] as const) {
      const r = runCli(['fleet', 'smoke', '--shard', arg, '--out', mkdtempSync(join(tmpdir(), 'promsoak-shard-')), '--duration', '5'], { timeout: 15_000 });
      assert.equal(r.status, 2, `${arg}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stdout, '', 'no ready line');
    }
    for (const [args, why] of [
      [['--listen', 'example.org'], /^promsoak: --listen must be an IP address/],
      [['--advertise', 'a b'], /^promsoak: --advertise must be a host name or an IP address \(got "a b"\)\n$/],
      [['--epoch', 'tomorrow'], /^promsoak: --epoch must be ms since 1970 or an ISO 8601 time/],
      [['--epoch', '2999-01-01T00:00:00Z'], /^promsoak: --epoch 2999-01-01T00:00:00Z is in the future/],
      [['--listen', '192.0.2.1'], /^promsoak: cannot listen on 192\.0\.2\.1: not an address of this machine \(EADDRNOTAVAIL\)/],
    ] as const) {
      const r = runCli(['fleet', 'smoke', ...args, '--out', mkdtempSync(join(tmpdir(), 'promsoak-shard-')), '--duration', '5'], { timeout: 15_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
  });

  it('the ready line names the shard, and a --listen other than 127.0.0.1 as a choice', { timeout: 30_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-shard-'));
    // 127.0.0.2: loopback too (all of 127/8 is on Linux), so nothing outside this machine is involved.
    const child = spawn(process.execPath, [CLI, 'fleet', 'smoke', '--shard', '1/3', '--listen', '127.0.0.2', '--threads', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no ready line: ' + stdout)), 20_000);
        child.stdout.on('data', () => stdout.includes('\n') && (clearTimeout(t), resolve()));
      });
      assert.match(
        stdout,
        /^promsoak fleet ready: profile smoke, shard 1\/3: 7 of 20 exporters \(ids ≡ 1 mod 3\) x 33 series = 231 series at http:\/\/127\.0\.0\.2:(\d+)\/exporters\/<1,4,7\.\.19>\/metrics; file_sd .*; http_sd http:\/\/127\.0\.0\.2:\d+\/sd; stats http:\/\/127\.0\.0\.2:\d+\/stats; metrics http:\/\/127\.0\.0\.2:\d+\/metrics; 1 serving thread \(port \d+\); listening on 127\.0\.0\.2 as --listen chose \(loopback\)\n$/,
      );
      const base = /http:\/\/127\.0\.0\.2:\d+/.exec(stdout)![0];
      assert.equal((await get(`${base}/exporters/4/metrics`)).status, 200);
      assert.equal((await get(`${base}/exporters/3/metrics`)).status, 404);
      const sd = (await (await fetch(`${base}/sd`)).json()) as TargetGroup[];
      assert.deepEqual(sd.map((g) => g.labels.exporter), ['1', '4', '7', '10', '13', '16', '19']);
      // On the listen address, at the serving thread's port the ready line names.
      const serving = /1 serving thread \(port (\d+)\)/.exec(stdout)![1];
      assert.ok(sd.every((g) => g.targets[0] === `127.0.0.2:${serving}`));
      assert.equal((await get(`http://${sd[1]!.targets[0]}/exporters/4/metrics`)).status, 200);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    assert.match(stdout, /promsoak fleet stopped: 2 scrapes served .* 1 not found/);
  });
});
