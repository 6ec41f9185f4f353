import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { CLI, TESTDATA } from './helpers/tools.js';
import { chromium, dumpDom } from './helpers/chromium.js';
import { reportCommand } from '../src/commands/report.js';
import { PromsoakError } from '../src/common/errors.js';
import { summarize } from '../src/analysis/summarize.js';
import { frame, gc, meta } from './helpers/frames.js';
import { escape, scriptJson } from '../src/report/html-kit.js';
import { renderHtml } from '../src/report/html.js';
import { gcBySecond } from '../src/analysis/starvation.js';

/** A copy of the committed run directory (a VictoriaMetrics soak) to break. */
function runDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'promsoak-hardening-')), 'run');
  cpSync(join(TESTDATA, 'run-victoria-metrics'), dir, { recursive: true });
  return dir;
}

const readJson = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));
const writeJson = (p: string, v: unknown): void => writeFileSync(p, JSON.stringify(v, null, 2));
const lines = (p: string): any[] => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const writeLines = (p: string, v: unknown[]): void => writeFileSync(p, v.map((x) => JSON.stringify(x)).join('\n') + '\n');

/** `promsoak report` in a child held to 256 MB of heap: a crafted number that allocates crashes it, not the test. */
function report(dir: string): { status: number | null; stderr: string; stdout: string; signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', CLI, 'report', dir], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, signal: r.signal };
}

/** One line naming the file (and the field), exit 2, no stack. */
function assertRefused(dir: string, file: RegExp, field: RegExp): void {
  const r = report(dir);
  assert.equal(r.signal, null, 'not killed (no hang, no crash)');
  assert.equal(r.status, 2, `exit 2: ${r.stderr}${r.stdout}`);
  const err = r.stderr.trim();
  assert.equal(err.split('\n').length, 1, `one line: ${err}`);
  assert.match(err, file);
  assert.match(err, field);
  assert.doesNotMatch(err, /TypeError|RangeError|\n\s+at /);
}

const MARKUP = [`<script>document.title='PWNED'</script>`, `<img src=x onerror="document.title='PWNED'">`, `"><img src=x onerror=document.title='PWNED'>`, `</script><script>document.title='PWNED'</script>`];

function plant(dir: string): void {
  const s = readJson(join(dir, 'summary.json'));
  const [a, b, c, d] = MARKUP;
  s.run.profile = a;
  s.run.ingester = b;
  s.run.startedAt = c;
  s.run.cores = d;
  s.run.v8Flags = [a];
  s.run.node = b;
  s.run.machine = c;
  s.run.target.version = d;
  s.tool.version = a;
  // File names are held to a base name by the schema (a test below); markup in them is fed to the renderer directly, in the Chromium test.
  s.heapSnapshots = [{ file: 'heap-1s.heapsnapshot', trigger: 'at', t: 1, writeMs: 5, bytes: 1e6 }];
  s.allocProfile = { heapprofile: 'alloc.heapprofile', pprof: 'alloc.pb.gz', samplingIntervalBytes: 1024, seconds: 5, allocatedBytes: 1e6, allocatedObjects: 10, top: [{ function: a, file: d, line: 1, selfBytes: 1, cumBytes: 1 }] };
  s.thresholds = [{ expression: b, ok: true, actual: 1 }];
  writeJson(join(dir, 'summary.json'), s);
}

test('markup in every string field of summary.json reaches report.html only as text', () => {
  const dir = runDir();
  plant(dir);
  reportCommand(dir, () => {});
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script>document|<img src=x|<\/script><script>document/);
  assert.equal((html.match(/<script/g) ?? []).length, 2, "uPlot's script and the charts' only");
  assert.match(html, /&lt;img src=x onerror=&quot;document\.title=&#39;PWNED&#39;&quot;&gt;/, 'the text is there, escaped');
});

test('no script from a crafted run directory runs in Chromium, even from numbers that are not numbers', { skip: chromium ? false : 'chromium not installed', timeout: 120_000 }, () => {
  const dir = runDir();
  plant(dir);
  reportCommand(dir, () => {});
  // The renderer escapes every value itself, whatever the schema let through: numbers of the
  // heap sections (written raw before) replaced by markup, handed straight to renderHtml.
  const s = readJson(join(dir, 'summary.json'));
  const [a, b] = MARKUP;
  Object.assign(s.heapSnapshots[0], { file: `x${b}.heapsnapshot`, t: a, writeMs: b, workerThreadId: a });
  Object.assign(s.allocProfile, { heapprofile: MARKUP[2], pprof: `javascript:document.title='PWNED'`, seconds: a, samplingIntervalBytes: b });
  const frames = lines(join(dir, 'frames.ndjson'));
  const events = lines(join(dir, 'gc.ndjson'));
  const file = join(dir, 'crafted.html');
  writeFileSync(file, renderHtml(s, frames, events, gcBySecond(frames, events)));
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script>document|<img src=x/);
  assert.doesNotMatch(html, /href="javascript:/);
  for (const f of [file, join(dir, 'report.html')]) {
    const dom = dumpDom(f);
    assert.match(dom, /<body[^>]*data-charts="6"/, 'the page ran its own script to the end');
    assert.doesNotMatch(dom, /<title>PWNED<\/title>/);
    assert.doesNotMatch(dom, /<img[^>]+onerror/i);
  }
});

test('a file name in summary.json that is not a base name of the run directory (markup, ../, javascript:, a lone surrogate) is refused in one line', () => {
  for (const [field, bad] of [['file', '../../etc/passwd'], ['file', 'x<img src=x>.heapsnapshot'], ['file', '\ud800.heapsnapshot']] as const) {
    const dir = runDir();
    plant(dir);
    editSummary(dir, (s) => (s.heapSnapshots[0][field] = bad));
    assertRefused(dir, /summary\.json/, /heapSnapshots\[0\]\.file/);
  }
  const dir = runDir();
  plant(dir);
  editSummary(dir, (s) => (s.allocProfile.pprof = "javascript:document.title='PWNED'"));
  assertRefused(dir, /summary\.json/, /allocProfile\.pprof/);
});

test('JSON nested 200,000 deep in summary.json or in a frames.ndjson record is refused in one line naming the file (it overflowed JSON.stringify)', () => {
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  let dir = runDir();
  const text = readFileSync(join(dir, 'summary.json'), 'utf8');
  writeFileSync(join(dir, 'summary.json'), text.replace(/^\{/, `{"extra": ${deep},`));
  assertRefused(dir, /summary\.json/, /nested deeper than 64/);
  dir = runDir();
  const frames = readFileSync(join(dir, 'frames.ndjson'), 'utf8');
  writeFileSync(join(dir, 'frames.ndjson'), frames.replace(/^\{/, `{"extra": ${deep},`));
  assertRefused(dir, /frames\.ndjson/, /nested deeper than 64/);
});

test('markup in a number field of summary.json is refused in one line', () => {
  const dir = runDir();
  plant(dir);
  editSummary(dir, (s) => (s.heapSnapshots[0].t = MARKUP[0]));
  assertRefused(dir, /summary\.json/, /heapSnapshots\[0\]\.t/);
});

test('the one escape and the <script> JSON: every character that could end the context is encoded', () => {
  assert.equal(escape(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  const j = scriptJson({ s: '</script><!--\u2028' });
  assert.doesNotMatch(j, /<|>/);
  assert.deepEqual(JSON.parse(j), { s: '</script><!--\u2028' });
});

test('a report.html that is a symlink is refused, its target and summary.json untouched', () => {
  const dir = runDir();
  const victim = join(dir, '..', 'victim.txt');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, join(dir, 'report.html'));
  const summaryBefore = readFileSync(join(dir, 'summary.json'), 'utf8');
  assertRefused(dir, /report\.html/, /symlink/);
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.equal(readFileSync(join(dir, 'summary.json'), 'utf8'), summaryBefore);
  // A directory in its place: the same.
  rmSync(join(dir, 'report.html'));
  mkdirSync(join(dir, 'report.html'));
  assertRefused(dir, /report\.html/, /directory/);
});

test('a gc.ndjson event of kind __proto__ is refused, and pollutes nothing', () => {
  const dir = runDir();
  const events = lines(join(dir, 'gc.ndjson'));
  events.splice(3, 0, { ...events[3], kind: '__proto__' });
  writeLines(join(dir, 'gc.ndjson'), events);
  assert.throws(() => reportCommand(dir, () => {}), (e: unknown) => e instanceof PromsoakError && /gc\.ndjson:4: kind/.test(e.message));
  assert.equal(({} as any).count, undefined);
  assert.equal(({} as any).pauseMs, undefined);
  assertRefused(dir, /gc\.ndjson:4/, /kind/);
});

test("the analysis keys GC kinds by a Map: a __proto__ kind is a row of its own, Object's prototype untouched", () => {
  const frames = Array.from({ length: 8 }, (_, i) => frame(i, 10_000));
  const events = [gc(4, 'scavenge', 1, 1e6), { ...gc(5, 'scavenge', 2, 1e6), kind: '__proto__' as any }];
  const s = summarize(frames, events, meta, { belowMedianPct: 20, eventLoopDelayMs: 100, gcMsPerSecond: 30, silenceLimitSeconds: 3, targetUtilization: 0.8 });
  assert.equal(({} as any).count, undefined);
  assert.ok(Object.hasOwn(s.gc.byKind, '__proto__'), 'its row is there');
  assert.equal((s.gc.byKind as any)['__proto__'].count, 1);
  assert.equal(s.gc.byKind.scavenge!.count, 1);
});

/** Each: how to break the copy, and what the one line must name. */
const BAD: [string, (dir: string) => void, RegExp, RegExp][] = [
  ['samples 1e308', (d) => editFrame(d, 7, (f) => (f.samples = 1e308)), /frames\.ndjson:8/, /samples/],
  ['samples 1e999 (Infinity)', (d) => editRaw(d, 'frames.ndjson', 7, /"samples":\d+/, '"samples":1e999'), /frames\.ndjson:8/, /samples/],
  ['cpu "x"', (d) => editFrame(d, 7, (f) => (f.cpu.total = 'x')), /frames\.ndjson:8/, /cpu\.total/],
  ['negative frame times', (d) => editFrame(d, 7, (f) => ((f.startMs = -1e15), (f.endMs = -1e15 + 1000))), /frames\.ndjson:8/, /startMs/],
  ['frames out of time order', (d) => editFrame(d, 7, (f) => ((f.startMs -= 1e9), (f.endMs -= 1e9))), /frames\.ndjson:8/, /startMs/],
  ['a frame a year long', (d) => editFrame(d, 7, (f) => (f.endMs += 365 * 86_400_000)), /frames\.ndjson:8/, /endMs/],
  ['a window a year after the frames', (d) => editSummary(d, (s) => (s.run.windowEndMs = s.run.windowStartMs + 365 * 86_400_000)), /run/, /span/],
  ['heap null', (d) => editFrame(d, 7, (f) => (f.heap = null)), /frames\.ndjson:8/, /heap/],
  ['a bad histogram', (d) => editFrame(d, 7, (f) => (f.scrapeHistogram = 'HISTFAAAAB14nJNpmSzMwMDAwsDAzAAAB9gBAw==')), /frames\.ndjson:8/, /scrapeHistogram/],
  ['a histogram declaring a huge range', (d) => editFrame(d, 7, (f) => (f.scrapeHistogram = hugeHistogram())), /frames\.ndjson:8/, /scrapeHistogram/],
  ['summary without fleet', (d) => editSummary(d, (s) => delete s.fleet), /summary\.json/, /fleet/],
  ['summary load.intervalSeconds 0', (d) => editSummary(d, (s) => (s.load.intervalSeconds = 0)), /summary\.json/, /load\.intervalSeconds/],
  ['frames.ndjson a directory', (d) => (rmSync(join(d, 'frames.ndjson')), mkdirSync(join(d, 'frames.ndjson'))), /frames\.ndjson/, /directory/],
  ['gc.ndjson a FIFO (a read would wait for ever)', (d) => (rmSync(join(d, 'gc.ndjson')), spawnSync('mkfifo', [join(d, 'gc.ndjson')])), /gc\.ndjson/, /FIFO/],
  ['run.json a symlink to /dev/zero (a read without end)', (d) => (rmSync(join(d, 'run.json')), symlinkSync('/dev/zero', join(d, 'run.json'))), /run\.json/, /character device/],
  ['a GC pause of 2e11 ms', (d) => editGc(d, 2, (e) => (e.pauseMs = 2e11)), /gc\.ndjson:3/, /pauseMs/],
  ['a Go GC cycle repeated', (d) => editGcAll(d, (es) => es.splice(5, 0, ...Array.from({ length: 50 }, () => ({ ...es[5] })))), /gc\.ndjson:7/, /cycle/],
  [
    'GC events adding up to more CPU than the target used',
    (d) => editGcAll(d, (es) => es.forEach((e: any) => (e.incrementalMs = 400_000))),
    /gc\.ndjson/,
    /CPU/,
  ],
];

function editFrame(dir: string, i: number, f: (x: any) => void): void {
  const fs = lines(join(dir, 'frames.ndjson'));
  f(fs[i]);
  writeLines(join(dir, 'frames.ndjson'), fs);
}
function editRaw(dir: string, file: string, i: number, from: RegExp, to: string): void {
  const ls = readFileSync(join(dir, file), 'utf8').split('\n');
  ls[i] = ls[i]!.replace(from, to);
  writeFileSync(join(dir, file), ls.join('\n'));
}
function editSummary(dir: string, f: (s: any) => void): void {
  const s = readJson(join(dir, 'summary.json'));
  f(s);
  writeJson(join(dir, 'summary.json'), s);
}
function editGc(dir: string, i: number, f: (e: any) => void): void {
  editGcAll(dir, (es) => f(es[i]));
}
function editGcAll(dir: string, f: (es: any[]) => void): void {
  const es = lines(join(dir, 'gc.ndjson'));
  f(es);
  writeLines(join(dir, 'gc.ndjson'), es);
}
/** A well-formed hdr histogram whose header asks for 5 significant digits up to 2^62: megabytes of counts. */
function hugeHistogram(): string {
  // Built by hand: the encoder would allocate it; the header is all the decoder sizes by.
  const body = Buffer.alloc(40);
  body.writeUInt32BE(0x1c849313, 0);
  body.writeUInt32BE(0, 4);
  body.writeInt32BE(0, 8);
  body.writeInt32BE(5, 12);
  body.writeBigInt64BE(1n, 16);
  body.writeBigInt64BE(2n ** 62n, 24);
  body.writeDoubleBE(1, 32);
  const z = deflateSync(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x1c849314, 0);
  head.writeUInt32BE(z.length, 4);
  return Buffer.concat([head, z]).toString('base64');
}
for (const [name, breakIt, file, field] of BAD) {
  test(`report on bad data (${name}): one line naming the file and field, exit 2`, { timeout: 60_000 }, () => {
    const dir = runDir();
    breakIt(dir);
    const summary = join(dir, 'summary.json');
    const edited = readFileSync(summary, 'utf8');
    assertRefused(dir, file, field);
    assert.equal(readFileSync(summary, 'utf8'), edited, 'summary.json not rewritten');
  });
}

test('the committed run directory still opens (and an older one without the optional fields)', () => {
  const dir = runDir();
  assert.equal(report(dir).status, 0);
  editSummary(dir, (s) => {
    delete s.run.target;
    delete s.run.harnessPauses;
    delete s.run.harnessStalls;
    delete s.run.windowStartMs;
    delete s.run.windowEndMs;
    delete s.fleet.sharedWithEngine;
    delete s.load.syntheticPerScrape;
    delete s.starvation.criteria.silenceLimitSeconds;
    s.schemaVersion = 1;
    s.someLaterKey = { ramDecomposition: 1 };
  });
  editFrame(dir, 3, (f) => delete f.agentMs);
  const r = report(dir);
  assert.equal(r.status, 0, r.stderr);
});
