import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from '../src/run/soak.js';
import { readNdjson } from '../src/run/run-dir.js';
import type { Frame } from '../src/protocol/frame.js';
import { spawnShard, type ShardProcess } from '../scripts/lib/shard-process.js';
import { which } from './helpers/tools.js';

/**
 * A multi-host fleet on one machine: two network namespaces, each with its own address on a
 * veth pair (10.203.X.0/30 and 10.203.X.4/30, X from this process's pid, so that parallel runs
 * do not collide), a fleet shard in each, and `run --fleet` from the root namespace. Only the
 * addresses this test creates are contacted. The namespaces and links go on every exit path:
 * the test's end, a failure, SIGINT/SIGTERM, or the process exiting.
 */
const ip = which('ip');
const tag = String(process.pid % 100_000);
const X = process.pid % 250;
const nets = [0, 1].map((i) => ({ ns: `psk${tag}n${i}`, host: `psk${tag}h${i}`, peer: `psk${tag}p${i}`, hostAddr: `10.203.${X}.${4 * i + 1}`, nsAddr: `10.203.${X}.${4 * i + 2}` }));

function sh(...args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(ip!, args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim() };
}

/** Why the test cannot run here, or undefined: root, `ip`, and a namespace that can actually be made. */
function cannot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and veth pairs)';
  if (!ip) return "'ip' (iproute2) not installed";
  const probe = `psk${tag}probe`;
  const r = sh('netns', 'add', probe);
  if (!r.ok) return `this machine does not allow network namespaces: ip netns add: ${r.err}`;
  sh('netns', 'del', probe);
  return undefined;
}

let shards: ShardProcess[] = [];
let made = false;

/** Removes what this test made; safe to call more than once, and from a signal or exit handler (synchronous). */
function cleanup(): void {
  for (const s of shards) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  if (!made) return;
  for (const n of nets) {
    sh('link', 'del', n.host); // takes its peer in the namespace with it
    sh('netns', 'del', n.ns);
  }
  made = false;
}

function setUp(): void {
  made = true;
  for (const n of nets) {
    for (const step of [
      ['netns', 'add', n.ns],
      ['link', 'add', n.host, 'type', 'veth', 'peer', 'name', n.peer],
      ['link', 'set', n.peer, 'netns', n.ns],
      ['addr', 'add', `${n.hostAddr}/30`, 'dev', n.host],
      ['link', 'set', n.host, 'up'],
      ['-n', n.ns, 'addr', 'add', `${n.nsAddr}/30`, 'dev', n.peer],
      ['-n', n.ns, 'link', 'set', n.peer, 'up'],
      ['-n', n.ns, 'link', 'set', 'lo', 'up'],
    ]) {
      const r = sh(...step);
      if (!r.ok) throw new Error(`ip ${step.join(' ')}: ${r.err}`);
    }
  }
}

const onSignal = (signal: NodeJS.Signals): void => {
  cleanup();
  process.kill(process.pid, signal);
};

describe('run --fleet across network namespaces: a multi-host fleet on one machine', () => {
  after(async () => {
    await Promise.all(shards.map((s) => s.stop()));
    cleanup();
    process.off('exit', cleanup);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  it('two shards, each in its own namespace and address: every target up, the offer ingested within 2 %, both shards in the frames', { timeout: 180_000 }, async (t) => {
    const why = cannot();
    if (why) return t.skip(why);
    process.once('exit', cleanup);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    setUp();
    shards = await Promise.all(nets.map((n, i) => spawnShard(['smoke', '--shard', `${i}/2`, '--listen', n.nsAddr, '--threads', '1', '--out', mkdtempSync(join(tmpdir(), 'promsoak-netns-'))], [ip!, 'netns', 'exec', n.ns])));
    assert.deepEqual(shards.map((s) => new URL(s.url).hostname), nets.map((n) => n.nsAddr));
    const r = await runSoak({ fleet: shards.map((s) => s.url).join(','), durationSeconds: 8, warmupSeconds: 2, out: mkdtempSync(join(tmpdir(), 'promsoak-netns-runs-')) });
    const s = r.summary;
    assert.equal(r.exitCode, 0, s.verdict.join('\n'));
    // Each target at its namespace's address, and every one of them scraped without a failure.
    const sd = JSON.parse(readFileSync(join(r.dir, 'file_sd.json'), 'utf8')) as { targets: string[]; labels: { exporter: string } }[];
    assert.equal(sd.length, 20);
    for (const g of sd) assert.equal(g.targets[0]!.split(':')[0], nets[Number(g.labels.exporter) % 2]!.nsAddr);
    assert.equal(s.scrapes.failed, 0);
    assert.ok((s.scrapes.ok ?? 0) >= 20 * 8, `${s.scrapes.ok} scrapes ok`);
    assert.ok(Math.abs(s.samplesPerSecond.mean - 660) / 660 <= 0.02, `samples/s ${s.samplesPerSecond.mean} of 660 offered`);
    const frames = readNdjson<Frame>(join(r.dir, 'frames.ndjson'));
    for (const f of frames) {
      assert.deepEqual(f.fleet.shards?.map((x) => [x.shard, x.url, x.up]), [['0/2', shards[0]!.url, true], ['1/2', shards[1]!.url, true]]);
    }
    assert.deepEqual(s.fleet.shards?.map((x) => [x.shard, x.downSeconds, x.exporters]), [['0/2', 0, 10], ['1/2', 0, 10]]);
  });
});
