import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capacityJson, readCapacityJson } from '../src/capacity/result.js';
import { PromsoakError } from '../src/common/errors.js';
import { syntheticResult } from './helpers/capacity.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-capacity-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('capacity.json: what is written reads back the same, versioned, with each core count, the scaling, the model, the prediction and the self-check', () => {
  const r = syntheticResult();
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.kind, 'capacity');
  assert.deepEqual(r.cores.map((c) => c.outcome.kind), ['ceiling', 'ceiling']);
  assert.ok(r.prediction && r.prediction.coresNeeded !== null);
  assert.equal(r.selfCheck.length, 1);
  withDir((dir) => {
    const path = join(dir, 'capacity.json');
    writeFileSync(path, capacityJson(r));
    assert.deepEqual(readCapacityJson(path), JSON.parse(JSON.stringify(r)));
  });
});

test('capacity.json: a NaN (which JSON would write as null) is refused at writing, not written as a good-looking file', () => {
  const r = syntheticResult();
  r.cores[0]!.steps[0]!.figures.cpuP99Cores = NaN;
  assert.throws(() => capacityJson(r), /capacity\.json would not read back: cores\[0\]\.steps\[0\]\.figures\.cpuP99Cores/);
});

test('capacity.json: a file that is not one, newer, or wrong in a field is one line naming the file and the field (exit 2)', () => {
  withDir((dir) => {
    const path = join(dir, 'capacity.json');
    const refuse = (text: string, msg: RegExp): void => {
      writeFileSync(path, text);
      assert.throws(() => readCapacityJson(path), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2 && msg.test(e.message) && e.message.startsWith(path) && !e.message.includes('\n'));
    };
    const good = JSON.parse(capacityJson(syntheticResult()));
    refuse('{"kind":', /not readable JSON/);
    refuse('[]', /not a promsoak capacity\.json \(no kind 'capacity'\)/);
    refuse(JSON.stringify({ ...good, schemaVersion: 2 }), /schemaVersion 2 is newer than this promsoak reads \(1\)/);
    const bad = structuredClone(good);
    bad.cores[1].steps[2].figures.peakRssBytes = -5;
    refuse(JSON.stringify(bad), /cores\[1\]\.steps\[2\]\.figures\.peakRssBytes: .*\(got -5\)/);
    const missing = structuredClone(good);
    delete missing.criteria.minIngestedRatio;
    refuse(JSON.stringify(missing), /criteria\.minIngestedRatio is missing/);
    refuse(`${'['.repeat(100)}${']'.repeat(100)}`, /nested deeper than 64/);
    // A later version's additive keys pass.
    writeFileSync(path, JSON.stringify({ ...good, later: { x: 1 } }));
    assert.equal(readCapacityJson(path).profile, 'default');
  });
  assert.throws(() => readCapacityJson('/nonexistent/capacity.json'), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2);
});
