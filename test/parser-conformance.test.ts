import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachSample, formatOfPath, type SampleJson } from '../src/commands/parse.js';
import { ROOT, TESTDATA, debianPython } from './helpers/tools.js';

/**
 * Every real capture in test/data parses to exactly the samples (name, labels, value,
 * timestamp) that an independent parser, Debian's python3-prometheus-client, yields.
 */
const SCRIPT = join(ROOT, 'test', 'fixtures', 'python-parse.py');
const files = readdirSync(TESTDATA).filter((f) => /\.(prom|txt|om)$/.test(f)).sort();
const python = debianPython();

function ours(path: string): SampleJson[] {
  const out: SampleJson[] = [];
  forEachSample(readFileSync(path), formatOfPath(path), (s) => out.push(JSON.parse(JSON.stringify(s)) as SampleJson));
  return out;
}

function theirs(path: string): { samples: SampleJson[]; notes: string[] } {
  const r = spawnSync(python!, [SCRIPT, path, formatOfPath(path)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `python-parse.py failed: ${r.stderr}`);
  const samples = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SampleJson);
  return { samples, notes: r.stderr.split('\n').filter((l) => l.startsWith('note:')) };
}

describe('conformance with python3-prometheus-client', () => {
  it('has the captures to compare', () => assert.ok(files.length >= 4, `${TESTDATA} holds ${files.length} captures`));
  for (const f of files) {
    it(f, (t) => {
      if (!python) {
        t.skip('/usr/bin/python3 lacks prometheus_client (apt install python3-prometheus-client)');
        return;
      }
      const path = join(TESTDATA, f);
      const want = theirs(path);
      for (const n of want.notes) t.diagnostic(n);
      const got = ours(path);
      assert.ok(want.samples.length > 0, 'python found no samples');
      assert.equal(got.length, want.samples.length, 'sample count');
      for (let i = 0; i < got.length; i++) {
        // Values are JSON numbers (the same doubles on both sides) or "NaN" / "+Inf" / "-Inf".
        assert.deepEqual(got[i], want.samples[i], `sample ${i}`);
      }
      t.diagnostic(`${got.length} samples agree`);
    });
  }
});
