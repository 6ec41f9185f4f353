import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { parseBoundedJson } from '../src/common/bounded-json.js';
import { readFleetStats } from '../src/protocol/fleet-stats.js';
import { mergeSd } from '../src/run/shard-sd.js';
import { TargetHosts } from '../src/run/target-hosts.js';
import { PromsoakError } from '../src/common/errors.js';
import { prng } from './fixtures/parse-helpers.js';

/**
 * Issue 23: what a shard answers, mutated N times (seeded) from a real fleet's /stats and /sd,
 * through the checks `run --fleet` puts them through (bounded JSON, the /stats schema, mergeSd):
 * a refusal of one line, or an answer whose every number is finite; nothing thrown but a
 * PromsoakError, Object's prototype untouched. PROMSOAK_FUZZ_CASES sets N (default 300).
 */
const CASES = Number(process.env.PROMSOAK_FUZZ_CASES ?? 300);
const HOSTILE: unknown[] = [1e308, -1e308, -1, 0, 0.5, 2 ** 53, 1e20, 'x', '', 'NaN', null, true, {}, [], [1, 2], '__proto__', '<script>x</script>', '\u001b[2J', 'a'.repeat(5000), '127.0.0.2:80', 'evil.example:9100'];

/** Every path to a value in a JSON tree. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

/** The text of `base` with one hostile change: a value replaced, a key dropped or added as __proto__, the text cut, or nested deep. */
function mutate(base: unknown, rnd: () => number): string {
  const v = structuredClone(base) as Record<string, unknown>;
  const all = paths(v).filter((p) => p.length > 0);
  const p = all[Math.floor(rnd() * all.length)]!;
  let parent: any = v;
  for (const k of p.slice(0, -1)) parent = parent[k];
  const key = p.at(-1)!;
  const kind = Math.floor(rnd() * 6);
  if (kind === 0) delete parent[key];
  else if (kind === 1) parent[key] = JSON.parse('{"__proto__": {"count": 1}, "constructor": {"prototype": {"count": 1}}}');
  else if (kind === 2) return JSON.stringify(v).slice(0, Math.floor(rnd() * JSON.stringify(v).length));
  else if (kind === 3) parent[key] = JSON.parse('['.repeat(500) + ']'.repeat(500));
  else parent[key] = HOSTILE[Math.floor(rnd() * HOSTILE.length)];
  return JSON.stringify(v).replace('"__proto__":', rnd() < 0.5 ? '"__proto__":' : '"constructor":');
}

function finiteEverywhere(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v !== null && typeof v === 'object') return Object.values(v).every(finiteEverywhere);
  return true;
}

test(`${CASES} hostile mutations of a real shard's /stats and /sd: one-line refusals or finite answers, never a crash`, { timeout: 120_000 }, async () => {
  const profile = loadProfile('smoke');
  const fleet = await startFleet({ profile, threads: 1, shard: { index: 0, count: 1 } });
  try {
    const stats = JSON.parse(JSON.stringify(fleet.fleetStats()));
    const sd = JSON.parse(JSON.stringify(fleet.targetGroups()));
    assert.equal(readFleetStats(stats).ok, true, 'the real /stats passes');
    const rnd = prng(23);
    const hosts = new TargetHosts([], 2000);
    const source = { url: 'http://127.0.0.1:1', shard: { index: 0, count: 1 }, label: '0/1', stats: { exporters: profile.exporters } };
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      const text = mutate(i % 2 ? stats : sd, rnd);
      const parsed = parseBoundedJson(text);
      if (!parsed.ok) {
        assert.ok(!parsed.why.includes('\n'), parsed.why);
        refused++;
        continue;
      }
      if (i % 2) {
        const r = readFleetStats(parsed.value);
        if (r.ok) assert.ok(finiteEverywhere(r.stats), `case ${i}: ${text.slice(0, 200)}`);
        else {
          assert.ok(!r.why.includes('\n') && r.why.length < 1000, r.why);
          refused++;
        }
      } else {
        try {
          const groups = await mergeSd([{ s: source, sd: parsed.value }], profile.exporters, hosts);
          assert.equal(groups.length, profile.exporters);
        } catch (e) {
          assert.ok(e instanceof PromsoakError, `case ${i}: ${String(e)} from ${text.slice(0, 200)}`);
          assert.ok(!e.message.includes('\n') && e.message.length < 1000, e.message);
          refused++;
        }
      }
      assert.equal(({} as Record<string, unknown>).count, undefined, `case ${i} polluted Object.prototype`);
    }
    assert.ok(refused > CASES / 4, `most mutations are refused (${refused} of ${CASES})`);
  } finally {
    await fleet.close();
  }
});
