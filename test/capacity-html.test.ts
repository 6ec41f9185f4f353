import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCapacityHtml } from '../src/capacity/html.js';
import { chromium, dumpDom } from './helpers/chromium.js';
import { syntheticResult } from './helpers/capacity.js';

const CRAFTED = '</script><script>document.title="pwned"</script><img src=x onerror=alert(1)>';

function crafted(): ReturnType<typeof syntheticResult> {
  const r = syntheticResult({ profile: CRAFTED, target: `exec:${CRAFTED}`, notes: [CRAFTED] });
  r.cores[0]!.steps[6]!.failed[0]!.words = CRAFTED;
  r.cores[0]!.outcome.words = CRAFTED;
  r.cores[1]!.steps[2]!.generatorSaturated = CRAFTED;
  return r;
}

/** The page's scripts: only uPlot's and the charts' own. */
const scripts = (html: string): number => (html.match(/<script/gi) ?? []).length;

test('capacity.html: the words, every step and six charts per core count; a crafted profile, target, note or failure stays text', () => {
  const html = renderCapacityHtml(crafted());
  assert.equal(scripts(html), 2, 'no script but uPlot and the charts');
  assert.doesNotMatch(html, /<img/i);
  assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'));
  // The words as the terminal says them.
  assert.ok(html.includes('<li>2 cores kept 2.08 × what 1 core kept (1M against 480k samples/s); GC&#39;s share of the cores 21.6 % → 22.1 %</li>'));
  assert.ok(html.includes('<li>the 1-core CPU line puts the 2-core ceiling at 1.02M samples/s (95 %: 1.01M–1.03M); measured 1M: +2.4 %</li>'));
  const charts = JSON.parse(/const CHARTS = (.*?);\nfor \(const c of CHARTS\)/s.exec(html)![1]!) as { id: string; series: { label: string }[]; data: (number | null)[][] }[];
  assert.equal(charts.length, 12);
  assert.deepEqual(charts.slice(0, 6).map((c) => c.id), ['c1-cpu', 'c1-rss', 'c1-gc', 'c1-bps', 'c1-starved', 'c1-latency']);
  // The knee: one point, at the 1-core ceiling (480k), on the CPU chart.
  const cpu = charts[0]!;
  assert.equal(cpu.series[2]!.label, 'ceiling (the knee)');
  const kneeAt = cpu.data[0]!.filter((_, i) => cpu.data[3]![i] !== null);
  assert.deepEqual(kneeAt, [480_000]);
  assert.equal(cpu.series[4]!.label, 'the CPU criterion (1.00 cores)');
  assert.ok(cpu.data[2]!.some((v) => v !== null), 'failing steps drawn');
});

test('capacity.html renders every chart in headless Chromium, the crafted strings inert', { skip: chromium ? false : 'chromium not installed (apt-get install chromium)', timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-capacity-html-'));
  try {
    const file = join(dir, 'capacity.html');
    writeFileSync(file, renderCapacityHtml(crafted()));
    const dom = dumpDom(file);
    assert.match(dom, /<body[^>]*data-charts="12"/, 'the drawing script ran to the end');
    assert.equal((dom.match(/<canvas/g) ?? []).length, 12, 'one canvas per chart');
    const rendered = [...dom.matchAll(/data-rendered="(\d+)"/g)].map((m) => Number(m[1]));
    assert.equal(rendered.length, 12);
    assert.ok(rendered.every((n) => n > 0), `points per chart: ${rendered}`);
    assert.doesNotMatch(dom, /<title>pwned/);
    assert.doesNotMatch(dom, /<img/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('capacity.html: by series, the steps are drawn against the series offered with the RSS line and the memory limit', () => {
  const r = syntheticResult({ by: 'series', criteria: { ...syntheticResult().criteria, memoryLimitBytes: 2 ** 31 } });
  const html = renderCapacityHtml(r);
  const charts = JSON.parse(/const CHARTS = (.*?);\nfor \(const c of CHARTS\)/s.exec(html)![1]!) as { id: string; xLabel: string; series: { label: string }[]; data: (number | null)[][] }[];
  const rss = charts.find((c) => c.id === 'c1-rss')!;
  assert.equal(rss.xLabel, 'series offered');
  assert.deepEqual(rss.series.map((s) => s.label), ['pass', 'fail', 'ceiling (the knee)', 'model: c + d·series', 'memory limit']);
  assert.deepEqual(rss.data[0]!.filter((_, i) => rss.data[3]![i] !== null), [480_000], 'the knee at the 1-core ceiling in series');
  assert.ok(rss.data[5]!.every((v) => v === 2048));
});
