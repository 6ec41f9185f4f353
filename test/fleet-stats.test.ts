import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, profilesDir } from '../src/profile/load.js';
import { profileDigest, canonicalJson } from '../src/profile/digest.js';
import { startFleet } from '../src/fleet/fleet.js';
import { usableCores } from '../src/fleet/cores.js';
import { isFleetStats, type FleetStats } from '../src/protocol/fleet-stats.js';
import { version } from '../src/common/version.js';
import { which } from './helpers/tools.js';

const promtool = which('promtool');

/** The names a Grafana dashboard refers to: they must stay exactly these. */
const CONTRACT = {
  promsoak_fleet_scrapes_served_total: 'counter',
  promsoak_fleet_bytes_served_total: 'counter',
  promsoak_fleet_render_errors_total: 'counter',
  promsoak_fleet_not_found_total: 'counter',
  promsoak_fleet_cpu_seconds_total: 'counter',
  promsoak_fleet_render_queue_depth: 'gauge',
  promsoak_fleet_exporters: 'gauge',
  // prom-client's default process metrics, under the fleet's prefix.
  promsoak_fleet_process_cpu_seconds_total: 'counter',
  promsoak_fleet_process_resident_memory_bytes: 'gauge',
  promsoak_fleet_nodejs_heap_size_used_bytes: 'gauge',
  promsoak_fleet_nodejs_gc_duration_seconds: 'histogram',
} as const;

/** `name{labels} value` lines → value by series (no HELP/TYPE). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('fleet /stats and /metrics', () => {
  it('/stats: counts, the last second, shard, digest and who the fleet is', { timeout: 30_000 }, async () => {
    const profile = loadProfile('smoke');
    const t0 = Date.now();
    const fleet = await startFleet({ profile, threads: 1, shard: { index: 1, count: 3 } });
    try {
      for (const id of [1, 4, 7]) assert.equal((await fetch(`${fleet.url}/exporters/${id}/metrics`)).status, 200);
      for (const path of ['/exporters/0/metrics', '/exporters/99/metrics', '/nope']) await (await fetch(fleet.url + path)).text();
      await new Promise((r) => setTimeout(r, 1300)); // one tick of the fleet's second
      const res = await fetch(`${fleet.url}/stats`);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const s = (await res.json()) as FleetStats;
      assert.ok(isFleetStats(s));
      assert.deepEqual(s.shard, { index: 1, count: 3 });
      assert.equal(s.exporters, 7);
      assert.deepEqual(s.profile, { name: 'smoke', digest: profileDigest(profile), exporters: 20, seriesPerExporter: 33, scrapeIntervalSeconds: 1 });
      assert.equal(s.fleet.pid, process.pid);
      assert.equal(s.fleet.host, hostname());
      assert.equal(s.fleet.version, version);
      assert.equal(s.fleet.url, fleet.url);
      assert.equal(s.fleet.threads, 1);
      assert.ok(s.fleet.startedAtMs >= t0 && s.fleet.startedAtMs <= s.atMs);
      assert.ok(s.fleet.cores > 0 && s.fleet.cores <= availableParallelism());
      assert.equal(s.totals.scrapes, 3);
      assert.equal(s.totals.notFound, 3);
      assert.equal(s.totals.renderErrors, 0);
      assert.equal(s.totals.bytes, fleet.stats.bytes);
      assert.ok(s.totals.bytes > 3 * 1000);
      assert.ok(s.totals.cpuSeconds > 0);
      assert.ok(s.totals.seconds >= 1);
      assert.ok(s.lastSecond !== null);
      assert.ok(s.lastSecond.endMs - s.lastSecond.startMs >= 900, JSON.stringify(s.lastSecond));
      assert.ok(s.lastSecond.cpuCores >= 0 && s.lastSecond.cpuCores < 64);
      assert.equal(s.queueDepth, 0);
      // The scrapes above fell in the fleet's first second or its second: together, all of them.
      const later = fleet.fleetStats();
      assert.ok(later.lastSecond!.scrapes <= 3);
      assert.equal(isFleetStats({ ...s, schemaVersion: 2 }), false);
      assert.equal(isFleetStats({ ...s, shard: { index: '1' } }), false);
    } finally {
      await fleet.close();
    }
  });

  it('/metrics: promsoak_fleet_* in its own registry, the contract names, agreeing with /stats', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 1, count: 3 } });
    try {
      for (const id of [1, 4]) await (await fetch(`${fleet.url}/exporters/${id}/metrics`)).arrayBuffer();
      await (await fetch(`${fleet.url}/exporters/2/metrics`)).arrayBuffer();
      const res = await fetch(`${fleet.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      for (const [name, type] of Object.entries(CONTRACT)) assert.equal(types.get(name), type, name);
      for (const name of types.keys()) assert.match(name, /^promsoak_fleet_/);
      const v = samples(text);
      assert.equal(v.get('promsoak_fleet_scrapes_served_total'), 2);
      assert.equal(v.get('promsoak_fleet_not_found_total'), 1);
      assert.equal(v.get('promsoak_fleet_bytes_served_total'), fleet.stats.bytes);
      assert.equal(v.get('promsoak_fleet_render_errors_total'), 0);
      assert.equal(v.get('promsoak_fleet_exporters{shard="1",shards="3"}'), 7);
      assert.equal(v.get('promsoak_fleet_render_queue_depth'), 0);
      assert.ok(v.get('promsoak_fleet_cpu_seconds_total')! > 0);
      assert.ok([...v.keys()].some((k) => k.startsWith('promsoak_fleet_info{') && k.includes(`digest="${fleet.fleetStats().profile.digest}"`)));
      // Counters keep counting between reads (they catch up with the fleet's totals when collected).
      await (await fetch(`${fleet.url}/exporters/7/metrics`)).arrayBuffer();
      assert.equal(samples(await (await fetch(`${fleet.url}/metrics`)).text()).get('promsoak_fleet_scrapes_served_total'), 3);
    } finally {
      await fleet.close();
    }
  });

  it('/metrics passes promtool check metrics', { skip: promtool ? false : 'promtool not installed (apt-get install prometheus)', timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1 });
    try {
      await (await fetch(`${fleet.url}/exporters/0/metrics`)).arrayBuffer();
      const body = await (await fetch(`${fleet.url}/metrics`)).text();
      const r = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal((r.stdout + r.stderr).trim(), '');
      assert.match(body, /^promsoak_fleet_exporters\{shard="0",shards="1"\} 20$/m);
    } finally {
      await fleet.close();
    }
  });
});

describe('profile digest', () => {
  it('is the same for the same profile read from anywhere, and changes with what the fleet serves', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-digest-'));
    copyFileSync(join(profilesDir(), 'smoke.json'), join(dir, 'smoke.json'));
    const a = loadProfile('smoke');
    const b = loadProfile(join(dir, 'smoke.json'));
    assert.notEqual(a.source, b.source);
    assert.match(profileDigest(a), /^sha256:[0-9a-f]{64}$/);
    assert.equal(profileDigest(a), profileDigest(b));
    assert.notEqual(profileDigest({ ...a, exporters: 21 }), profileDigest(a));
    assert.notEqual(profileDigest({ ...a, seed: 6 }), profileDigest(a));
    assert.notEqual(profileDigest({ ...a, format: 'text' }), profileDigest(a));
    // Key order does not matter; JSON of the same value is the same text.
    assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined }] }), '{"a":[1,{"d":2}],"b":1}');
  });

  it('a replayed capture counts by its bytes, not its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-digest-'));
    mkdirSync(join(dir, 'data'));
    const shipped = loadProfile('node-exporter-like');
    const text = readFileSync(shipped.source, 'utf8');
    writeFileSync(join(dir, 'p.json'), text.replace(/"name"\s*:\s*"[^"]*"/, '"name": "node-exporter-like"'));
    const capture = JSON.parse(text).families.find((f: { type: string }) => f.type === 'replay').file as string;
    const bytes = readFileSync(join(profilesDir(), capture));
    writeFileSync(join(dir, capture), bytes);
    const copy = loadProfile(join(dir, 'p.json'));
    assert.equal(profileDigest(copy), profileDigest(shipped));
    writeFileSync(join(dir, capture), Buffer.concat([bytes, Buffer.from('# one more comment\n')]));
    assert.notEqual(profileDigest(copy), profileDigest(shipped));
  });
});

describe('usable cores', () => {
  it('a cgroup CPU quota lowers the affinity count; none or unreadable leaves it', () => {
    const n = availableParallelism();
    assert.equal(usableCores('max 100000\n'), n);
    assert.equal(usableCores(undefined), n);
    assert.equal(usableCores('50000 100000\n'), Math.min(n, 0.5));
    assert.equal(usableCores(`${(n + 4) * 100000} 100000\n`), n);
  });
});
