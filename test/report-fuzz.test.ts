import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TESTDATA } from './helpers/tools.js';
import { prng } from './fixtures/parse-helpers.js';
import { frame, gc, T0 } from './helpers/frames.js';
import { reportCommand } from '../src/commands/report.js';
import { PromsoakError } from '../src/common/errors.js';

/**
 * `promsoak report` on N random and hostile mutations (seeded) of two real-shaped run
 * directories (the committed VictoriaMetrics soak, and an engine soak built from synthetic
 * frames with scrape histograms and V8 GC events), in process: it never throws anything but a
 * PromsoakError of one line, never writes markup from the data into report.html unescaped,
 * never says NaN or ∞ in its verdict, and never touches Object's prototype.
 * PROMSOAK_FUZZ_CASES sets N (default 200).
 */
const CASES = Number(process.env.PROMSOAK_FUZZ_CASES ?? 200);
const SEED = Number(process.env.PROMSOAK_FUZZ_SEED ?? 15);

const MARKUP = [`<script>globalThis.pwned=1</script>`, `<img src=x onerror=pwned()>`, `"><svg onload=pwned()>`, `</script><script>pwned()</script>`];
/** Written raw into the file in place of the string: JSON.parse reads 1e999 as Infinity. */
const RAW: Record<string, string> = { __INF__: '1e999', __NINF__: '-1e999', __BIGINT__: '123456789012345678901234567890' };
const HOSTILE: unknown[] = [
  1e308, -1e308, -1, 0, -0, 0.5, 2 ** 53, 1e15 + 1, 1e20, 'x', '', 'NaN', null, true, false, {}, [], [1, 2], { __proto__: 1 }, '__proto__', 'constructor',
  ...MARKUP, '__INF__', '__NINF__', '__BIGINT__', 'a'.repeat(5000),
];

const root = mkdtempSync(join(tmpdir(), 'promsoak-report-fuzz-'));

function victoriaBase(): string {
  const dir = join(root, 'base-vm');
  cpSync(join(TESTDATA, 'run-victoria-metrics'), dir, { recursive: true });
  return dir;
}

/** An engine soak (no run.json), its records from the synthetic helpers. */
function engineBase(): string {
  const dir = join(root, 'base-engine');
  cpSync(join(TESTDATA, 'run-victoria-metrics'), dir, { recursive: true });
  rmSync(join(dir, 'run.json'));
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  delete s.run.target;
  Object.assign(s.run, { windowStartMs: T0 + 2000, windowEndMs: T0 + 20_000, warmupSeconds: 2, ingester: 'cached' });
  s.heapSnapshots = [{ file: 'a.heapsnapshot', trigger: 'at', t: 3, writeMs: 12, bytes: 5e6 }];
  s.allocProfile = { heapprofile: 'a.heapprofile', pprof: 'a.pb.gz', samplingIntervalBytes: 1024, seconds: 10, allocatedBytes: 1e8, allocatedObjects: 1e5, top: [{ function: 'f', file: '/x/y.js', line: 3, selfBytes: 1e6, cumBytes: 2e6 }] };
  s.samples = 0;
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s, null, 2));
  const frames = Array.from({ length: 20 }, (_, i) => frame(i, 10_000 + ((i * 37) % 500)));
  const events = Array.from({ length: 20 }, (_, i) => gc(i, i % 5 === 0 ? 'mark-compact' : 'scavenge', 1 + (i % 3), 4e6, 2));
  writeFileSync(join(dir, 'frames.ndjson'), frames.map((f) => JSON.stringify(f)).join('\n') + '\n');
  writeFileSync(join(dir, 'gc.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

type Json = any;

/** Every path to a value inside v (objects and arrays), the root excluded. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const p = [...at, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      if (out.length < 5000) paths(v[k], p, out);
    }
  }
  return out;
}

function serialize(v: Json, pretty: boolean): string {
  let text = pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v);
  for (const [k, raw] of Object.entries(RAW)) text = text.split(`"${k}"`).join(raw);
  return text;
}

/** One mutation of a record: a value replaced, a key deleted or renamed, a __proto__ key added. */
function mutateValue(rec: Json, rnd: () => number): string {
  const all = paths(rec);
  if (all.length === 0) return 'empty';
  const p = all[Math.floor(rnd() * all.length)]!;
  let parent = rec;
  for (const k of p.slice(0, -1)) parent = parent[k];
  const key = p.at(-1)!;
  const op = rnd();
  if (op < 0.7) {
    const v = HOSTILE[Math.floor(rnd() * HOSTILE.length)];
    parent[key] = typeof v === 'object' && v !== null ? JSON.parse(JSON.stringify(v)) : v;
    return `${p.join('.')} = ${JSON.stringify(v)?.slice(0, 30)}`;
  }
  if (op < 0.8 && !Array.isArray(parent)) {
    delete parent[key];
    return `delete ${p.join('.')}`;
  }
  if (op < 0.9 && !Array.isArray(parent)) {
    Object.defineProperty(parent, '__proto__', { value: parent[key], enumerable: true, configurable: true, writable: true });
    delete parent[key];
    return `rename ${p.join('.')} to __proto__`;
  }
  if (typeof parent[key] === 'number') {
    // A number scaled: a plausible-looking value far out of range, or negative.
    parent[key] = parent[key] * [1e6, -1, 1e12, 1e-9][Math.floor(rnd() * 4)]!;
    return `${p.join('.')} scaled`;
  }
  parent[key] = MARKUP[Math.floor(rnd() * MARKUP.length)];
  return `${p.join('.')} = markup`;
}

function mutate(dir: string, rnd: () => number): string {
  const file = ['summary.json', 'frames.ndjson', 'frames.ndjson', 'gc.ndjson', 'gc.ndjson', 'run.json'][Math.floor(rnd() * 6)]!;
  const path = join(dir, file);
  if (!existsSync(path) || statSync(path).isDirectory()) return `${file} absent`;
  const r = rnd();
  if (r < 0.03) {
    rmSync(path);
    mkdirSync(path);
    return `${file} a directory`;
  }
  if (r < 0.05) {
    if (lstatSync(join(dir, 'report.html'), { throwIfNoEntry: false })) return 'report.html there';
    symlinkSync(join(root, 'victim.txt'), join(dir, 'report.html'));
    return 'report.html a symlink';
  }
  const text = readFileSync(path, 'utf8');
  if (r < 0.1) {
    writeFileSync(path, text.slice(0, Math.floor(rnd() * text.length)));
    return `${file} cut`;
  }
  // A file an earlier mutation left unreadable (cut, 1e999 in it) is cut again.
  const parses = (t: string): boolean => {
    try {
      for (const l of file.endsWith('.json') ? [t] : t.split('\n').filter(Boolean)) JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  };
  if (!parses(text)) {
    writeFileSync(path, text.slice(0, Math.floor(rnd() * text.length)));
    return `${file} cut again`;
  }
  if (file.endsWith('.json')) {
    const v = JSON.parse(text);
    const what = mutateValue(v, rnd);
    writeFileSync(path, serialize(v, true));
    return `${file}: ${what}`;
  }
  const recs = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (recs.length === 0) return `${file} empty`;
  const i = Math.floor(rnd() * recs.length);
  let what: string;
  if (r < 0.15) {
    const j = Math.floor(rnd() * recs.length);
    [recs[i], recs[j]] = [recs[j], recs[i]];
    what = `lines ${i + 1} and ${j + 1} swapped`;
  } else if (r < 0.2) {
    recs.splice(i, 0, ...Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => structuredClone(recs[i])));
    what = `line ${i + 1} repeated`;
  } else {
    what = `line ${i + 1}: ${mutateValue(recs[i], rnd)}`;
  }
  writeFileSync(path, recs.map((x) => serialize(x, false)).join('\n') + '\n');
  return `${file} ${what}`;
}

test(`report on ${CASES} hostile mutations of real run directories: a PromsoakError of one line, or a report with no markup and no NaN/∞`, { timeout: 600_000 }, () => {
  writeFileSync(join(root, 'victim.txt'), 'precious');
  const bases = [victoriaBase(), engineBase()];
  for (const b of bases) {
    const out: string[] = [];
    reportCommand(b, (l) => out.push(l));
    assert.doesNotMatch(out.join('\n'), /NaN|Infinity|∞/, `the base ${b} reports cleanly`);
  }
  const rnd = prng(SEED);
  let refused = 0;
  for (let n = 0; n < CASES; n++) {
    const dir = join(root, `case-${n}`);
    cpSync(bases[n % bases.length]!, dir, { recursive: true });
    rmSync(join(dir, 'report.html'), { force: true });
    const what: string[] = [];
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) what.push(mutate(dir, rnd));
    const label = `case ${n} (seed ${SEED}): ${what.join('; ')}`;
    const log: string[] = [];
    try {
      reportCommand(dir, (l) => log.push(l));
    } catch (e) {
      assert.ok(e instanceof PromsoakError, `${label}: threw ${(e as Error)?.stack ?? e}`);
      assert.equal(e.exitCode, 2, `${label}: ${e.message}`);
      assert.doesNotMatch(e.message, /\n/, `${label}: one line`);
      refused++;
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const m of MARKUP) assert.ok(!html.includes(m), `${label}: ${m} in report.html`);
    assert.equal((html.match(/<script/g) ?? []).length, 2, `${label}: only the page's own scripts`);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.doesNotMatch(s.verdict.join('\n'), /NaN|Infinity|∞/, label);
    assert.doesNotMatch(log.join('\n'), /NaN|Infinity|∞/, `${label}: the terminal summary`);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(readFileSync(join(root, 'victim.txt'), 'utf8'), 'precious');
  assert.equal(({} as any).count, undefined);
  assert.equal(({} as any).pauseMs, undefined);
  assert.deepEqual(Object.keys(Object.prototype), []);
  // Both outcomes happen: the mutations are not all harmless, nor all refused.
  assert.ok(refused > CASES / 10 && refused < CASES, `refused ${refused} of ${CASES}`);
});
