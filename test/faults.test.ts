import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, type ResolvedProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { FaultPlan } from '../src/fleet/faults.js';
import { FAULT_KINDS, type FaultKind } from '../src/profile/schema.js';
import { ParseError } from '../src/common/errors.js';
import { forEachSample } from '../src/commands/parse.js';
import type { Summary } from '../src/analysis/summary.js';
import { runCli } from './helpers/tools.js';

/** One raw GET: status and body, or how it failed ('reset', 'no answer'). */
function get(url: string, timeoutMs = 1500): Promise<{ status?: number; body?: Buffer; error?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), ms: Date.now() - t0 }));
      res.on('error', (e) => resolve({ status: res.statusCode, error: e.message, ms: Date.now() - t0 }));
      res.on('aborted', () => resolve({ status: res.statusCode, error: 'reset', ms: Date.now() - t0 }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ error: 'no answer', ms: Date.now() - t0 });
    });
    req.on('error', (e) => resolve({ error: e.message, ms: Date.now() - t0 }));
    req.end();
  });
}

function parses(body: Buffer): true | ParseError {
  try {
    forEachSample(body, 'text', () => {});
    return true;
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}

describe('fault injection in the fleet', () => {
  const profile = (): ResolvedProfile => {
    const p = loadProfile('faults');
    p.faults.flap = { fraction: 0.05, periodSeconds: 1 };
    return p;
  };

  it('picks exactly round(fraction × exporters) exporters per kind, the same ones for a seed', () => {
    const a = new FaultPlan(profile());
    const b = new FaultPlan(profile());
    assert.deepEqual([...a.kindOf], [...b.kindOf]);
    for (const k of FAULT_KINDS) assert.equal(a.injected[k], 2, k);
    assert.equal([...a.kindOf].filter((k) => k < 0).length, 40 - 16);
  });

  it('answers as each kind of faulty exporter does; healthy exporters are unaffected', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: profile(), threads: 1 });
    try {
      const of = (kind: FaultKind): number => fleet.faults.kindOf.indexOf(FAULT_KINDS.indexOf(kind));
      const url = (id: number): string => `${fleet.url}/exporters/${id}/metrics`;
      const healthy = await get(url(fleet.faults.kindOf.indexOf(-1)));
      assert.equal(healthy.status, 200);
      assert.equal(parses(healthy.body!), true);

      const slow = await get(url(of('slow')));
      assert.equal(slow.status, 200);
      assert.ok(slow.ms >= 45, `slow answered in ${slow.ms} ms`);
      assert.equal((await get(url(of('timeout')), 1200)).error, 'no answer');
      assert.equal((await get(url(of('http5xx')))).status, 503);
      const truncated = await get(url(of('truncated')));
      assert.equal(truncated.status, 200);
      assert.ok(parses(truncated.body!) instanceof ParseError, 'a truncated exposition does not parse');
      const malformed = await get(url(of('malformed')));
      const err = parses(malformed.body!);
      assert.ok(err instanceof ParseError && err.line > 1, String(err));
      const reset = await get(url(of('reset')));
      assert.ok(reset.error !== undefined, JSON.stringify(reset));
      const big = await get(url(of('oversized')), 10_000);
      assert.equal(big.body!.length, 2_000_000);
      assert.equal(parses(big.body!), true, 'the padding is comments');
      // A flapping exporter (1 s period) is down half the time: both states within 2 s.
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) {
        const r = await get(url(of('flap')));
        seen.add(r.status === 200 ? 'up' : 'down');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual([...seen].sort(), ['down', 'up']);
    } finally {
      await fleet.close();
    }
  });

  it('a soak counts what the engine reported for each fault, and no healthy exporter loses a scrape', { timeout: 90_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-faults-'));
    const r = runCli(['run', 'faults', '--duration', '8', '--warmup', '2', '--body-limit', '1000000', '--out', out], { timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = JSON.parse(readFileSync(join(out, readdirSync(out)[0]!, 'summary.json'), 'utf8')) as Summary;
    assert.ok(s.faults, 'summary.faults');
    assert.deepEqual(Object.keys(s.faults.injected).sort(), [...FAULT_KINDS].sort());
    const by = s.faults.reportedByReason;
    // timeout → timeout, http5xx → http_status, truncated and malformed → parse, oversized → body_limit, reset and flap → connection.
    for (const reason of ['timeout', 'http_status', 'parse', 'body_limit', 'connection'] as const) assert.ok((by[reason] ?? 0) > 0, `${reason}: ${JSON.stringify(by)}`);
    assert.equal(s.faults.healthyScrapesFailed, 0);
    assert.equal(s.faults.healthySamplesLost, 0);
    assert.ok(s.scrapes.failed! > 0 && Object.values(s.scrapes.failedByReason).reduce((a, n) => a + (n ?? 0), 0) === s.scrapes.failed, JSON.stringify(s.scrapes));
    assert.match(r.stdout, /faults injected into exporters: .*healthy exporters: none lost/);
  });
});
