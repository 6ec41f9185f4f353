import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import type { Summary } from '../src/analysis/summary.js';
import { frame, gc, meta } from './helpers/frames.js';
import { summarize } from '../src/analysis/summarize.js';
import { gcRamOverheadPct, ramParts } from '../src/analysis/ram.js';
import { reportCommand } from '../src/commands/report.js';
import { renderHtml } from '../src/report/html.js';
import { renderTerminal } from '../src/report/terminal.js';
import { ROOT, runCli } from './helpers/tools.js';

/** Issue 24 parts 2 and 3: peak RSS split into what holds it; GC's share of RAM is its headroom over the live heap. */

const MiB = 2 ** 20;

test("RAM decomposed: live heap + GC headroom + off-heap + the runtime and the rest = peak RSS; GC's RAM figure is the headroom over the live heap", () => {
  // An engine like `run smoke`'s: 10 MiB live, the heap up to 14 MiB between collections, 4 MiB of
  // typed arrays outside it, and an RSS of 60 MiB (Node's code, V8's reserved spaces, malloc).
  const frames = Array.from({ length: 8 }, (_, i) => frame(i, 10000, { heap: { usedBytes: (i % 2 ? 14 : 11) * MiB, totalBytes: 20 * MiB, externalBytes: 4 * MiB, arrayBuffersBytes: null, rssBytes: 60 * MiB } }));
  const s = summarize(frames, [], { ...meta, liveHeapBytes: 10 * MiB, liveOffHeapBytes: 4 * MiB });
  const r = s.memory.ram!;
  assert.deepEqual(r, { peakRssBytes: 60 * MiB, liveHeapBytes: 10 * MiB, gcHeadroomBytes: 4 * MiB, offHeapBytes: 4 * MiB, runtimeAndRestBytes: 42 * MiB, partsOverRssBytes: 0, heapPeakBytes: 14 * MiB });
  // 40 %, where (peak RSS − live) ÷ live read 500 %.
  assert.equal(s.provisioning.gcRamOverheadPct, 40);
  assert.equal(s.memory.liveHeapBytes, 10 * MiB);
  assert.equal(s.memory.liveOffHeapBytes, 4 * MiB);
  assert.equal(s.schemaVersion, 3);
  assert.match(s.verdict.join('\n'), /GC adds \d+ % onto cores and 40 % onto RAM \(the heap at its peak over the live heap after a full GC: 4\.0 MiB, 6\.7 % of peak RSS; peak RSS 60\.0 MiB = live heap 10\.0 \+ GC headroom 4\.0 \+ off-heap 4\.0 \+ runtime and the rest 42\.0\)/);
  // The summary's memory line names what it adds up.
  assert.match(renderTerminal(s, '/d'), /live heap 10\.0 MiB \+ off-heap 4\.0 MiB \(external: the head's arrays\) after a full GC; peak RSS = live heap 10\.0 MiB \+ GC headroom 4\.0 MiB/);
  // report.html: one stacked bar, a segment per part, widths in % of peak RSS.
  const html = renderHtml(s, frames, [], []);
  const bar = html.match(/<div class="ram-bar"[^>]*>(.*?)<\/div><p/)?.[1] ?? '';
  assert.deepEqual([...bar.matchAll(/width:([\d.]+)%/g)].map((m) => Number(m[1])), [16.67, 6.67, 6.67, 70]);
  assert.match(html, /GC adds 40 % onto RAM: its headroom over the live heap, 4\.0 MiB, 6\.7 % of peak RSS\./);
});

test("Go: the heap before a collection over gctrace's live heap, ~100 % at GOGC=100; off-heap from go_memstats", () => {
  const goFrames: Frame[] = Array.from({ length: 6 }, (_, i) => frame(i, 10000, { heap: { usedBytes: 30 * MiB, totalBytes: 70 * MiB, externalBytes: 12 * MiB, arrayBuffersBytes: null, rssBytes: 200 * MiB } }));
  const cycle = (i: number, before: number, live: number): TimedGcEvent => ({ ...gc(i, 'go', 0.1, 0), runtime: 'go', sizeBeforeBytes: before, heapLiveBytes: live });
  const r = ramParts(goFrames, [cycle(2, 58 * MiB, 30 * MiB), cycle(4, 60 * MiB, 30 * MiB)], { heapBytes: 30 * MiB, offHeapBytes: null }, 'go');
  assert.equal(r.gcHeadroomBytes, 30 * MiB);
  assert.equal(gcRamOverheadPct(r), 100);
  assert.equal(r.offHeapBytes, 12 * MiB);
  assert.equal(r.runtimeAndRestBytes, (200 - 30 - 30 - 12) * MiB, "Prometheus' mmapped chunks are the rest, not GC's");
  assert.equal(r.partsOverRssBytes, 0);
});

test('a Go heap whose peak was not all resident: the parts over peak RSS are said, not hidden in a rest of 0', () => {
  // As Prometheus 2.42 read on 2026-12-06: live 1,044 + headroom 912 + off-heap 403 MiB against 2,300 MiB of RSS.
  const goFrames: Frame[] = Array.from({ length: 6 }, (_, i) => frame(i, 10000, { heap: { usedBytes: null, totalBytes: null, externalBytes: 403 * MiB, arrayBuffersBytes: null, rssBytes: 2300 * MiB } }));
  const cycle = (i: number, before: number, live: number): TimedGcEvent => ({ ...gc(i, 'go', 0.1, 0), runtime: 'go', sizeBeforeBytes: before, heapLiveBytes: live });
  const r = ramParts(goFrames, [cycle(2, 1956 * MiB, 1044 * MiB)], { heapBytes: 1044 * MiB, offHeapBytes: null }, 'go');
  assert.equal(r.runtimeAndRestBytes, 0);
  assert.equal(r.partsOverRssBytes, 59 * MiB);
  const s = summarize(goFrames, [], meta);
  s.memory.ram = r;
  assert.match(renderTerminal(s, '/d'), /the parts exceed peak RSS by 59(\.0)? MiB/);
});

test('an idle engine does not read hundreds of %: RSS that is not heap is not GC\'s', () => {
  // 5 MiB live, the heap never over 6 MiB, RSS 50 MiB (the old figure: 900 %).
  const frames = Array.from({ length: 6 }, (_, i) => frame(i, 0, { heap: { usedBytes: 6 * MiB, totalBytes: 8 * MiB, externalBytes: MiB, arrayBuffersBytes: null, rssBytes: 50 * MiB } }));
  const s = summarize(frames, [], { ...meta, liveHeapBytes: 5 * MiB, liveOffHeapBytes: MiB });
  assert.equal(s.provisioning.gcRamOverheadPct, 20);
});

test('promsoak report of older run directories: the figures they cannot give are null, never 0', () => {
  // schemaVersion 2, the engine: its liveHeapBytes was heap + external, which cannot be split again.
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-ram-'));
  const frames = Array.from({ length: 6 }, (_, i) => frame(i, 10000));
  writeFileSync(join(dir, 'frames.ndjson'), frames.map((f) => JSON.stringify(f)).join('\n') + '\n');
  const old = summarize(frames, [], meta);
  const v2 = { ...old, schemaVersion: 2, memory: { ...old.memory, liveHeapBytes: 26e6, liveOffHeapBytes: undefined, ram: undefined } };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(v2));
  reportCommand(dir, () => {});
  let s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.equal(s.schemaVersion, 3);
  assert.equal(s.memory.liveHeapBytes, null);
  assert.equal(s.provisioning.gcRamOverheadPct, null);
  assert.equal(s.memory.ram!.gcHeadroomBytes, null);
  assert.equal(s.memory.ram!.runtimeAndRestBytes, null);
  assert.equal(s.memory.ram!.peakRssBytes, 100e6 + 5);
  assert.match(s.verdict.join('\n'), /provision \d+ cores? \(p99 CPU at 80 % utilisation\) and [\d.]+ MiB of RAM; GC adds [\d.]+ % onto cores\./);
  // And the committed VictoriaMetrics run (schemaVersion 2, a Go target): gctrace's live heap meant the same then.
  const vm = mkdtempSync(join(tmpdir(), 'promsoak-ram-vm-'));
  cpSync(join(ROOT, 'test', 'data', 'run-victoria-metrics'), vm, { recursive: true });
  reportCommand(vm, () => {});
  s = JSON.parse(readFileSync(join(vm, 'summary.json'), 'utf8')) as Summary;
  assert.equal(s.memory.liveHeapBytes, 58720256);
  const r = s.memory.ram!;
  assert.equal(r.liveHeapBytes! + r.gcHeadroomBytes! + (r.offHeapBytes ?? 0) + r.runtimeAndRestBytes!, r.peakRssBytes + r.partsOverRssBytes!);
  assert.ok(s.provisioning.gcRamOverheadPct! >= 0 && s.provisioning.gcRamOverheadPct! < 46.3, `${s.provisioning.gcRamOverheadPct} (was 46.3: RSS over live)`);
  assert.match(readFileSync(join(vm, 'report.html'), 'utf8'), /class="ram-bar"/);
});

test('run smoke: GC adds under 100 % onto RAM, and peak RSS is its four parts', { timeout: 90_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-ram-smoke-'));
  const r = runCli(['run', 'smoke', '--duration', '6', '--warmup', '2', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const s = JSON.parse(readFileSync(join(out, readdirSync(out)[0]!, 'summary.json'), 'utf8')) as Summary;
  const m = s.memory.ram!;
  assert.ok(m.liveHeapBytes! > 0 && s.memory.liveOffHeapBytes! > 0, JSON.stringify(s.memory));
  assert.ok(s.provisioning.gcRamOverheadPct! >= 0 && s.provisioning.gcRamOverheadPct! < 100, `GC adds ${s.provisioning.gcRamOverheadPct} % onto RAM`);
  assert.equal(m.liveHeapBytes! + m.gcHeadroomBytes! + m.offHeapBytes! + m.runtimeAndRestBytes!, m.peakRssBytes);
  assert.match(r.stdout, /live heap [\d.]+ MiB \+ off-heap [\d.]+ MiB \(external: the head's arrays\)/);
});
