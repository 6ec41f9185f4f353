import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { soakInfo } from '../src/run/live-metrics.js';
import { SoakMetrics } from '../src/run/soak-metrics.js';
import type { SoakPlan } from '../src/run/soak-plan.js';
import { ROOT, which } from './helpers/tools.js';

/** The fleet shards' own /metrics names (promsoak fleet, another engineer's registry), with labels shard and shards. */
const FLEET_METRICS = [
  'promsoak_fleet_scrapes_served_total',
  'promsoak_fleet_bytes_served_total',
  'promsoak_fleet_render_errors_total',
  'promsoak_fleet_cpu_seconds_total',
  'promsoak_fleet_render_queue_depth',
  'promsoak_fleet_exporters',
];

interface Target { expr: string; legendFormat?: string; datasource?: { uid?: string } }
interface Panel { type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[] }
interface Dashboard { schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown; definition?: string }[] } }

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'promsoak.json'), 'utf8')) as Dashboard;
const soak = new SoakMetrics(soakInfo({ profile: 'p', ingester: 'i', cores: null, node: 'n', version: 'v' } as SoakPlan['meta'])).registry.getMetricsAsArray();
const known = new Set([...soak.map((m) => m.name), ...FLEET_METRICS]);
const knownLabels = new Set([...soak.flatMap((m) => (m as unknown as { labelNames: string[] }).labelNames), 'shard', 'shards', 'instance', 'job']);
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The metric names a PromQL expression selects: identifiers outside strings, label matchers, groupings and ranges, not called as functions. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)].filter((m) => m[2] === undefined && !FUNCTIONS_AND_KEYWORDS.has(m[1]!)).map((m) => m[1]!);
}

test('grafana dashboard: schema, a Prometheus datasource variable and no hard-coded UIDs', () => {
  assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
  const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
  assert.equal(ds?.name, 'datasource');
  assert.equal(ds?.query, 'prometheus');
  const uids: string[] = [];
  JSON.stringify(dashboard, (k, v: unknown) => (k === 'uid' && uids.push(String(v)), v));
  assert.ok(uids.length > 0);
  for (const uid of uids) assert.equal(uid, '${datasource}', 'every uid is the variable: the dashboard imports into any Grafana');
  for (const p of panels) assert.equal(p.datasource?.type, 'prometheus', p.title);
});

test('grafana dashboard: every PromQL refers only to metrics and labels that exist, and shows what the issue asks for', () => {
  assert.ok(exprs.length > 20);
  const used = new Set<string>();
  for (const { panel, expr, legendFormat } of exprs) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${panel}: ${expr} selects no metric`);
    for (const n of names) {
      assert.ok(known.has(n), `${panel}: ${n} is neither a promsoak_soak_* metric nor a fleet shard's`);
      used.add(n);
    }
    for (const [, l] of (legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) assert.ok(knownLabels.has(l!), `${panel}: legend label ${l}`);
    for (const [, l] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const label of l!.split(',').map((s) => s.trim())) assert.ok(knownLabels.has(label), `${panel}: by ${label}`);
  }
  for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
    const m = /label_values\((\w+),\s*(\w+)\)/.exec(v.definition ?? '');
    assert.ok(m && known.has(m[1]!) && knownLabels.has(m[2]!), `variable ${v.name}: ${v.definition}`);
  }
  // The panels: samples/s, CPU by thread class, GC by kind, heap, event-loop delay, starvation, fleet CPU; and every fleet metric.
  for (const n of [
    'promsoak_soak_samples_per_second', 'promsoak_soak_thread_cpu_cores', 'promsoak_soak_gc_pause_seconds_total', 'promsoak_soak_heap_used_bytes',
    'promsoak_soak_event_loop_delay_p99_seconds', 'promsoak_soak_samples_to_median_ratio', 'promsoak_soak_starved', 'promsoak_soak_fleet_cpu_cores', ...FLEET_METRICS,
  ]) assert.ok(used.has(n), `no panel shows ${n}`);
});

const promtool = which('promtool');
test('grafana dashboard: every expression parses as PromQL (promtool check rules)', { skip: promtool ? false : 'promtool not installed (apt-get install prometheus)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-grafana-'));
  // Grafana's variables as a Prometheus would see them once substituted.
  const substitute = (e: string): string => e.replaceAll('$__rate_interval', '1m').replace(/\$(soak|shard)\b/g, '.*');
  const rules = exprs.map((t, i) => `      - record: promsoak:dashboard_${i}\n        expr: ${JSON.stringify(substitute(t.expr))}`).join('\n');
  const file = join(dir, 'rules.yml');
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
  const r = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});
