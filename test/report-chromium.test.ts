import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/tools.js';
import { chromium, dumpDom, screenshot } from './helpers/chromium.js';

test('report.html is self-contained and renders every chart in headless Chromium', { skip: chromium ? false : 'chromium not installed (apt-get install chromium)', timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-report-'));
  const r = runCli(['run', 'smoke', '--duration', '4', '--warmup', '1', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const dir = join(out, readdirSync(out)[0]!);
  const file = join(dir, 'report.html');
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']?https?:/i, 'no external scripts or styles');
  const dom = dumpDom(file);
  assert.match(dom, /<body[^>]*data-charts="6"/, 'the drawing script ran to the end');
  assert.equal((dom.match(/<canvas/g) ?? []).length, 6, 'one canvas per chart');
  const rendered = [...dom.matchAll(/data-rendered="(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(rendered.length, 6);
  assert.ok(rendered.every((n) => n > 0), `points per chart: ${rendered}`);
  const png = join(dir, 'report.png');
  screenshot(file, png);
  assert.ok(existsSync(png) && statSync(png).size > 20_000, 'a non-trivial screenshot');
});
