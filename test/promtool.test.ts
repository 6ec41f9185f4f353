import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfile, parseProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { ROOT, which } from './helpers/tools.js';

const promtool = which('promtool');

function check(body: Buffer | string): { status: number | null; out: string } {
  const r = spawnSync(promtool!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('promtool check metrics: no errors on every family type', { skip: promtool ? false : 'promtool not installed (apt-get install prometheus)' }, () => {
  for (const type of ['counter', 'gauge', 'histogram', 'summary', 'untyped']) {
    const p = parseProfile(
      JSON.stringify({
        exporters: 3,
        churn: { seriesEverySeconds: 10, seriesFraction: 0.5 },
        families: [{ type, name: type === 'counter' ? 'x_events_total' : 'x_value_seconds', help: 'h', labels: [{ name: 'a', cardinality: 3 }, { name: 'b', values: ['q"', 'b\\', 'n\n'] }] }],
      }),
      '/tmp/types.json',
    );
    const set = new ExporterSet(p);
    for (const t of [0, 17.5, 3600]) {
      const r = check(set.renderToBuffer(2, t, 'text'));
      assert.equal(r.status, 0, `${type} at t=${t}: ${r.out}`);
      assert.equal(r.out.trim(), '');
    }
  }
});

test('promtool check metrics: shipped profiles are clean; replay lints exactly like its capture', { skip: promtool ? false : 'promtool not installed' }, () => {
  for (const name of ['default', 'smoke', 'churn', 'high-cardinality']) {
    const r = check(new ExporterSet(loadProfile(name)).renderToBuffer(1, 123, 'text'));
    assert.equal(r.status, 0, `${name}: ${r.out}`);
  }
  // A real node_exporter's names draw lint warnings (camelCase, "bits"), never errors: the
  // replayed body must draw exactly the same ones as the capture itself.
  const capture = readFileSync(join(ROOT, 'profiles', 'data', 'node_exporter-1.5.0.prom'));
  const original = check(capture);
  const replayed = check(new ExporterSet(loadProfile('node-exporter-like')).renderToBuffer(1, 123, 'text'));
  assert.equal(replayed.status, original.status);
  assert.equal(replayed.out, original.out);
  for (const line of replayed.out.trim().split('\n')) assert.match(line, / should | instead of /, 'lint only, no parse errors');
});
