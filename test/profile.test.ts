import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProfileFiles, loadProfile, parseProfile } from '../src/profile/load.js';
import { buildModel } from '../src/fleet/render/model.js';
import { ProfileError } from '../src/common/errors.js';
import { runCli } from './helpers/tools.js';

test('every shipped profile loads and declares its series', () => {
  const names = listProfileFiles().map((f) => loadProfile(f).name);
  for (const required of ['default', 'node-exporter-like', 'high-cardinality', 'churn']) assert.ok(names.includes(required), required);
  const d = loadProfile('default');
  assert.equal(d.exporters, 1000);
  assert.equal(d.scrapeIntervalSeconds, 5);
  assert.equal(buildModel(d).lines, 200);
  assert.equal(buildModel(loadProfile('node-exporter-like')).lines, 507);
});

const bad = (obj: unknown): string => {
  try {
    parseProfile(JSON.stringify(obj), join(process.cwd(), 'x.json'));
  } catch (e) {
    assert.ok(e instanceof ProfileError, String(e));
    assert.equal((e as ProfileError).exitCode, 2);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return (e as Error).message;
  }
  assert.fail('expected a ProfileError');
};
const ok = { exporters: 2, families: [{ type: 'counter', name: 'a_total', labels: [{ name: 'l', cardinality: 2 }] }] };

test('a bad profile names the file and the field', () => {
  assert.match(bad({ ...ok, exporters: -3 }), /^x\.json: profile\.exporters must be a positive integer \(got -3\)$/);
  assert.match(bad({ ...ok, exporters: undefined }), /profile\.exporters is required/);
  assert.match(bad({ ...ok, families: [{ type: 'counter', name: 'a', labels: [{ name: 'l', cardinality: -1 }] }] }), /families\[0\]\.labels\[0\]\.cardinality must be a positive integer \(got -1\)/);
  assert.match(bad({ ...ok, families: [{ type: 'counter', name: '1bad' }] }), /families\[0\]\.name must be a Prometheus metric name/);
  assert.match(bad({ ...ok, families: [{ type: 'gauge', name: 'g', labels: [{ name: '__x', values: ['a'] }] }] }), /labels\[0\]\.name must not start with __/);
  assert.match(bad({ ...ok, families: [{ type: 'histogram', name: 'h', buckets: [1, 0.5] }] }), /families\[0\]\.buckets must be strictly increasing/);
  assert.match(bad({ ...ok, families: [{ type: 'summary', name: 's', quantiles: [0.5, 2] }] }), /families\[0\]\.quantiles must lie in \[0, 1\]/);
  assert.match(bad({ ...ok, families: [{ type: 'histogram', name: 'h', labels: [{ name: 'le', values: ['1'] }] }] }), /labels\[0\]\.name "le" is reserved/);
  assert.match(bad({ ...ok, families: [{ type: 'gauge', name: 'g' }, { type: 'gauge', name: 'g' }] }), /families\[1\]\.name "g" is used by an earlier family/);
  assert.match(bad({ ...ok, families: [{ type: 'meter', name: 'g' }] }), /families\[0\]\.type must have type counter, gauge/);
  assert.match(bad({ ...ok, families: [{ type: 'replay', file: 'nope.prom' }] }), /families\[0\]\.file nope\.prom does not exist/);
  assert.match(bad({ ...ok, extra: 1 }), /unknown field "extra"/);
  assert.match(bad({ ...ok, churn: { seriesFraction: 1.5 } }), /churn\.seriesFraction must be a number in \[0, 1\] \(got 1\.5\)/);
});

test('invalid JSON reports line and column', () => {
  assert.throws(() => parseProfile('{\n  "exporters": 2,\n  oops\n}', '/tmp/p.json'), /\/tmp\/p\.json: invalid JSON at line 3 column 3/);
});

test('CLI: a bad profile exits 2 with one line naming the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ ...ok, exporters: 0 }));
  const r = runCli(['fleet', file, '--duration', '1']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /bad\.json: profile\.exporters must be a positive integer \(got 0\)/);
  const unknown = runCli(['fleet', 'no-such-profile']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^promsoak: no shipped profile named "no-such-profile"/);
});

test('CLI: profiles lists the shipped ones', () => {
  const r = runCli(['profiles']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^default\s+1000\s+200\s+5s/m);
  assert.match(r.stdout, /^node-exporter-like\s+300\s+507/m);
});
