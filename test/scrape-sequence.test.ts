import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';
import { loadProfile } from '../src/profile/load.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';
import { OpenMetricsParser, TextParser } from '../src/engine/parse/index.js';
import type { Parser, SkippingParser } from '../src/engine/parse/types.js';
import { ParseError, SampleLimitError } from '../src/common/errors.js';
import { MAX_LINE_BYTES } from '../src/engine/parse/scanner.js';
import { valueVariants } from '../scripts/lib/vary-values.js';
import { TESTDATA } from './helpers/tools.js';
import { prng } from './fixtures/parse-helpers.js';
import { useSeqKernel } from '../src/engine/wasm/seq-kernel.js';
import { needsSameBytes } from '../src/engine/ingest/sequence-js.js';

/**
 * The scrape cache's sequence (scrape-to-scrape diffing) against the full path. The
 * reference is the same ingester with a parser that lacks acceptSeries, so every line takes
 * next() + get()/add(): for any run of bodies, both must leave the same head and fail with
 * the same ParseError (line, column, expected, found).
 */

const ct = CONTENT_TYPE.text;
const enc = new TextEncoder();
const options = { headWindow: 4, sampleLimit: 0 };

/** A parser class that counts the sample lines it took without next() (acceptSeries, acceptRuns). */
// A mixin's constructor type must take any[] (TS2545).
function counting<B extends new (...args: any[]) => SkippingParser>(Base: B) {
  return class extends Base {
    hits = 0;
    override acceptSeries(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
      const ok = super.acceptSeries(seriesStart, seriesEnd, nameEnd, lines);
      if (ok) this.hits++;
      return ok;
    }
    override acceptRuns(next: number, lines: number, samples: number): boolean {
      const ok = super.acceptRuns(next, lines, samples);
      if (ok) this.hits += samples;
      return ok;
    }
  };
}
const CountingParser = counting(TextParser);

function sequenced(): { ing: CachedIngester; parser: InstanceType<typeof CountingParser> } {
  const parser = new CountingParser();
  return { ing: new CachedIngester(options, () => parser), parser };
}

/** The reference: the full path for every line. */
function fullPath(): CachedIngester {
  return new CachedIngester(options, (): Parser => Object.assign(new TextParser(), { acceptSeries: undefined }));
}

/** Every live series as labels → [values oldest first] | [timestamps]. */
function view(ing: CachedIngester): Map<string, string> {
  const out = new Map<string, string>();
  const t = new Float64Array(options.headWindow);
  const v = new Float64Array(options.headWindow);
  for (const ref of ing.head.refs()) {
    const n = ing.head.read(ref, t, v);
    out.set(ing.head.labels(ref)!.join('\u0000'), `${Array.from(v.subarray(0, n)).join(',')} | ${Array.from(t.subarray(0, n)).join(',')}`);
  }
  return out;
}

function ingest(ing: CachedIngester, body: Uint8Array, time: number): string {
  try {
    const n = ing.ingest(body, 'target', time, ct);
    return `ok ${n} +${ing.last.seriesAdded}`;
  } catch (e) {
    if (e instanceof ParseError) return `ParseError ${e.message}`;
    throw e;
  }
}

/** Ingests the bodies in order into both; asserts equal outcomes and heads after each. Returns the sequence hits per body. */
function compare(bodies: Uint8Array[], label: string): number[] {
  const { ing, parser } = sequenced();
  const ref = fullPath();
  const hits: number[] = [];
  bodies.forEach((body, i) => {
    const before = parser.hits;
    const was = view(ing);
    const series = ing.stats().series;
    const a = ingest(ing, body, i * 1000);
    const b = ingest(ref, body, i * 1000);
    assert.equal(a, b, `${label}: body ${i}`);
    assert.deepEqual(view(ing), view(ref), `${label}: head after body ${i}`);
    // A failed scrape is rolled back: none of its samples, none of its series.
    if (a.startsWith('ParseError')) {
      assert.deepEqual(view(ing), was, `${label}: head after failed body ${i}`);
      assert.equal(ing.stats().series, series);
    }
    hits.push(parser.hits - before);
  });
  return hits;
}

const lines = (s: string): Uint8Array => enc.encode(s);

const BASE = [
  '# HELP req_total Requests.',
  '# TYPE req_total counter',
  'req_total{method="GET",code="200"} 10',
  'req_total{method="GET",code="500"} 2',
  '',
  '# a comment',
  'up 1',
  'temp{sensor="a b"} 21.5 1700000000000',
  'lat_bucket{le="0.1"} 3',
  'lat_bucket{le="+Inf"} 4',
  'lat_sum 0.75',
  'lat_count 4',
  '',
].join('\n');

/** Every suite twice: with the WebAssembly matcher (the default) and without it (JavaScript only). */
for (const kernel of [true, false]) {
  const mode = kernel ? 'WebAssembly matcher' : 'JavaScript matcher';
  describe(`scrape cache sequence (scrape-to-scrape diffing) (${mode})`, () => {
    before(() => useSeqKernel(kernel));
    it('bodies that differ only in values: every sample after the first scrape is a sequence hit', () => {
      const set = new ExporterSet(loadProfile('default'));
      const bodies = [0, 1, 2, 3, 4].map((t) => set.renderToBuffer(3, t * 5, 'text'));
      const hits = compare(bodies, 'default profile');
      assert.equal(hits[0], 0);
      for (let i = 1; i < hits.length; i++) assert.equal(hits[i], set.seriesPerExporter, `body ${i}`);
    });

    it('hits on a real capture whose values change, exponents and long floats included', () => {
      const body = readFileSync(join(TESTDATA, 'prometheus-alltypes.237mfs.prom.txt'));
      const bodies = valueVariants(body, 4);
      const hits = compare([...bodies, bodies[0]!], 'alltypes');
      const samples = Number(ingest(fullPath(), body, 0).split(' ')[1]);
      for (let i = 1; i < hits.length; i++) assert.equal(hits[i], samples, `body ${i}`);
    });

    it('a series added, removed, reordered, relabelled; a comment changed: same head, then all hits again', () => {
      const cases: Record<string, string> = {
        added: BASE.replace('up 1\n', 'up 1\nnew_series{x="1"} 5\n'),
        'added first': 'first 1\n' + BASE,
        removed: BASE.replace('req_total{method="GET",code="500"} 2\n', ''),
        'removed last': BASE.replace('lat_count 4\n', ''),
        'removed family': BASE.replace(/lat_[^\n]*\n/g, ''),
        reordered: BASE.replace('lat_sum 0.75\nlat_count 4\n', 'lat_count 4\nlat_sum 0.75\n'),
        relabelled: BASE.replace('code="500"', 'code="503"'),
        'help changed': BASE.replace('Requests.', 'Requests handled.'),
        'comment removed': BASE.replace('# a comment\n', ''),
        'blank lines': BASE.replace('up 1\n', '\n\nup 1\n'),
        'CRLF': BASE.replace(/\n/g, '\r\n'),
        'timestamp added': BASE.replace('lat_count 4', 'lat_count 4 1700000000001'),
        'more blanks': BASE.replace('up 1', 'up   1').replace('lat_sum 0.75', '  lat_sum\t0.75'),
        empty: '',
      };
      for (const [name, changed] of Object.entries(cases)) {
        const hits = compare([lines(BASE), lines(BASE.replace('10', '11')), lines(changed), lines(changed.replace('21.5', '22')), lines(BASE)], name);
        assert.equal(hits[1], 8, `${name}: unchanged body hits`);
        const n = Number(ingest(fullPath(), lines(changed), 0).split(' ')[1]);
        assert.equal(hits[3], n, `${name}: the changed body hits on its next scrape`);
      }
    });

    it('values: every form reads the same on a sequence hit as through next()', () => {
      const values = ['0', '7', '00012', '123456789012345', '1234567890123456', '12345678901234567', '9007199254740993', '1.', '0.1', '21.5',
        '44.985611511', '0.30000000000000004', '1e5', '1.5E+3', '7.6238e-05', '9.03676723e+08', '0e0', '1e-22', '1e22', '1e23', '1e-23',
        '1.7976931348623157e308', '5e-324', '1e0400', '-1', '+1', '-0', 'NaN', '+Inf', '-Inf', 'inf', '1_0', '1e', '1e+', '.5', '5.e3', '1.5e+0003'];
      const body = (vs: string[]): Uint8Array => lines(vs.map((v, i) => `v{i="${i}"} ${v}`).join('\n') + '\n');
      const ok = values.filter((v) => !ingest(fullPath(), body([v]), 0).startsWith('ParseError'));
      const shifted = [...ok.slice(1), ok[0]!];
      const hits = compare([body(ok), body(shifted), body(ok), body(ok.map((v) => v + '\r'))], 'values');
      assert.equal(hits[1], ok.length);
      for (const v of values.filter((x) => !ok.includes(x))) {
        compare([body(ok), body(ok.map((x, i) => (i === 3 ? v : x)))], `value ${v}`);
      }
    });

    it('a series that starts like the cached one is another series', () => {
      const a = 'foo 1\nbar{a="1"} 2\n';
      for (const b of ['foo_x 1\nbar{a="1"} 2\n', 'foo1 1\nbar{a="1"} 2\n', 'foo{a="1"} 1\nbar{a="1"} 2\n', 'foo {a="1"} 1\nbar{a="1"} 2\n', 'foo 1\nbar{a="1"}x 2\n', 'foo 1\nbar{a="1",b="2"} 2\n']) {
        compare([lines(a), lines(a), lines(b), lines(b)], b);
      }
    });

    it('a malformed body after a cached one: the same ParseError (line and column) as the full path', () => {
      const broken = {
        value: BASE.replace('lat_sum 0.75', 'lat_sum 0.7.5'),
        'value missing': BASE.replace('up 1', 'up'),
        'value junk': BASE.replace('lat_count 4', 'lat_count 4x'),
        timestamp: BASE.replace('1700000000000', '17000000000.5'),
        'label quote': BASE.replace('code="500"}', 'code="500}'),
        'after skipped comments': BASE.replace('up 1', 'up 1 2 3'),
        'bare CR': BASE.replace('lat_count 4\n', 'lat_count 4\rx\n'),
        'no blank after name': BASE.replace('up 1', 'up\t'),
      };
      for (const [name, b] of Object.entries(broken)) {
        const outcomes: string[] = [];
        compare([lines(BASE), lines(BASE), lines(b), lines(BASE)], name);
        const { ing } = sequenced();
        for (const body of [BASE, BASE, b, BASE]) outcomes.push(ingest(ing, lines(body), 0));
        assert.match(outcomes[2]!, /^ParseError line \d+ column \d+/, name);
        assert.match(outcomes[3]!, /^ok 8 /, `${name}: recovers`);
      }
    });

    it('never trusts equal doubles that are not equal bytes (±0: a run with NUL words is compared bytewise)', () => {
      // Label value of NULs; then the same bytes with 0x80 where a double's sign byte falls:
      // +0 === -0 as doubles, but 0x80 alone is invalid UTF-8, so the full path rejects it.
      const nul = 'm{a="' + '\u0000'.repeat(24) + '"} 1\n';
      const a = enc.encode(nul);
      const b = a.slice();
      // The run is the whole line (31 bytes): words at 0, 8, 16 and 23; byte 15 is only the
      // sign byte of the word at 8, which reads +0 in a and -0 in b.
      b[15] = 0x80;
      compare([a, a, b, a], 'NUL words');
      assert.throws(() => sequenced().ing.ingest(b, 't', 0, ct), ParseError);
    });

    it('runs of every length from 1 to 40 bytes, changed at any one byte: no hit on the changed series', () => {
      // The WebAssembly matcher compares byte by byte below 8 bytes, 8 twice from 8 to 15, 16 a step above.
      for (let len = 1; len <= 40; len++) {
        const name = 'm'.repeat(len);
        const base = `# c\n${name} 1\nz_${name} 2\n`;
        for (let at = 0; at < len; at++) {
          const changed = base.slice(0, 4 + at) + 'n' + base.slice(5 + at);
          const hits = compare([lines(base), lines(base.replace(' 1', ' 3')), lines(changed), lines(changed)], `len ${len} at ${at}`);
          assert.equal(hits[1], 2, `len ${len}: unchanged`);
          assert.ok(hits[2]! <= 1, `len ${len} at ${at}: the changed series is no hit`);
          assert.equal(hits[3], 2, `len ${len} at ${at}: then both hit again`);
        }
      }
    });

    it('lines at the line limit: the same as the full path either side of it', () => {
      // A series of MAX_LINE_BYTES - 4 bytes: with ` 1\n` its line is one byte short of the limit,
      // with ` 12\n` exactly at it, with ` 123\n` one byte over (a ParseError either way).
      const target = MAX_LINE_BYTES - 4;
      let series = 'big{';
      for (let k = 0; series.length + 60_010 < target - 64; k++) series += `l${k}="${'y'.repeat(60_000)}",`;
      series += `z="${'y'.repeat(target - series.length - 'z=""}'.length)}"}`;
      assert.equal(series.length, target);
      for (const v of ['1', '12', '123']) {
        const body = (x: string): Uint8Array => lines(`${series} ${x}\nafter 2\n`);
        const outcomes = compare([body(v), body(v.replace('1', '4')), body(v)], `value ${v}`);
        assert.equal(outcomes.length, 3);
      }
      assert.match(ingest(fullPath(), lines(`${series} 123\n`), 0), /^ParseError/);
      assert.match(ingest(fullPath(), lines(`${series} 12\n`), 0), /^ok 1/);
    });

    it('the sample limit holds on sequence hits', () => {
      const ing = new CachedIngester({ headWindow: 4, sampleLimit: 8 });
      const base = lines(BASE);
      ing.ingest(base, 't', 0, ct);
      ing.ingest(base, 't', 0, ct);
      const was = view(ing);
      // One new line first (full path), then the 8 cached ones: the 9th sample is a sequence hit.
      assert.throws(() => ing.ingest(lines('extra 1\n' + BASE), 't', 1000, ct), SampleLimitError);
      // Rolled back: the head as before (the 8 samples of this scrape and the new series gone).
      assert.deepEqual(view(ing), was);
      assert.equal(ing.stats().series, 8);
      assert.equal(ing.ingest(base, 't', 2000, ct), 8);
      assert.equal(ing.last.seriesAdded, 0);
      // The new series again, under the limit this time: added (the cache had forgotten it).
      assert.equal(ing.ingest(lines('extra 1\n' + BASE.replace('lat_count 4\n', '')), 't', 3000, ct), 8);
      assert.equal(ing.last.seriesAdded, 1);
    });

    it('series churn (smoke profile over time) and a target switching to OpenMetrics and back', () => {
      const smoke = new ExporterSet(loadProfile('smoke'));
      const bodies: Uint8Array[] = [];
      for (let t = 0; t <= 12; t++) bodies.push(smoke.renderToBuffer(1, t, 'text'));
      compare(bodies, 'smoke churn');
      const ing = new CachedIngester(options);
      const n = ing.ingest(bodies[0]!, 't', 0, ct);
      assert.equal(ing.ingest(smoke.renderToBuffer(1, 0, 'openmetrics'), 't', 0, CONTENT_TYPE.openmetrics), n);
      assert.equal(ing.ingest(bodies[0]!, 't', 0, ct), n);
      assert.equal(ing.last.seriesAdded, 0);
    });
  });

  describe(`scrape cache sequence fuzzing (${mode})`, () => {
    before(() => useSeqKernel(kernel));
    const SPECIAL = enc.encode('\\"{}=,# \n\t.eE+-_:0a\r\u00ff\u0000');

    function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
      const bytes = Array.from(src);
      const edits = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rnd() * (bytes.length + 1));
        const r = rnd();
        if (r < 0.3) bytes[at] = Math.floor(rnd() * 256);
        else if (r < 0.55) bytes.splice(at, 0, SPECIAL[Math.floor(rnd() * SPECIAL.length)]!);
        else if (r < 0.7) bytes.splice(at, 1 + Math.floor(rnd() * 3));
        else if (r < 0.8) bytes.length = at;
        else if (r < 0.9 && at < bytes.length) bytes[at] = bytes[at]! ^ (1 << Math.floor(rnd() * 8));
        else bytes.splice(at, 0, ...bytes.slice(Math.max(0, at - 40), at));
      }
      return Uint8Array.from(bytes);
    }

    it('a cached body mutated between scrapes: the sequence accepts exactly what the full path accepts', () => {
      const rnd = prng(0xd1ff);
      const smoke = new ExporterSet(loadProfile('smoke'));
      const seeds = [lines(BASE), smoke.renderToBuffer(2, 0, 'text'), smoke.renderToBuffer(5, 3, 'text')];
      let errors = 0;
      let cases = 0;
      for (let i = 0; i < 600; i++) {
        const base = seeds[i % seeds.length]!;
        const m1 = mutate(base, rnd);
        const m2 = rnd() < 0.5 ? mutate(m1, rnd) : mutate(base, rnd);
        compare([base, m1, m2, base], `case ${i}`);
        if (ingest(fullPath(), m1, 0).startsWith('ParseError')) errors++;
        cases++;
      }
      assert.ok(errors > 0 && errors < cases, `${errors} of ${cases} mutated bodies failed to parse`);
    });
  });

  describe(`scrape cache sequence, OpenMetrics (${mode})`, () => {
    before(() => useSeqKernel(kernel));
    const om = CONTENT_TYPE.openmetrics;
    const CountingOm = counting(OpenMetricsParser);
    const run = (ing: CachedIngester, body: Uint8Array, time: number, type = om): string => {
      try {
        return `ok ${ing.ingest(body, 'target', time, type)} +${ing.last.seriesAdded}`;
      } catch (e) {
        if (e instanceof ParseError) return `ParseError ${e.message}`;
        throw e;
      }
    };
    /** As compare(), OpenMetrics against the full path (a parser without acceptSeries); types per body (default OM). */
    function compareOm(bodies: Uint8Array[], label: string, types: string[] = []): number[] {
      const parser = new CountingOm();
      const text = new TextParser();
      const ing = new CachedIngester(options, (t) => (t === om ? parser : text));
      const ref = new CachedIngester(options, (t): Parser => (t === om ? Object.assign(new OpenMetricsParser(), { acceptSeries: undefined }) : new TextParser()));
      const hits: number[] = [];
      bodies.forEach((body, i) => {
        const before = parser.hits;
        const type = types[i] ?? om;
        assert.equal(run(ing, body, i * 1000, type), run(ref, body, i * 1000, type), `${label}: body ${i}`);
        assert.deepEqual(view(ing), view(ref), `${label}: head after body ${i}`);
        hits.push(parser.hits - before);
      });
      return hits;
    }
    const OM_BASE = [
      '# HELP req Requests.',
      '# TYPE req counter',
      'req_total{method="GET",code="200"} 10',
      'req_total{method="GET",code="500"} 2 1700000000.5',
      'req_created{method="GET",code="200"} 1.7000000001234567e+09',
      '# TYPE up gauge',
      'up 1',
      'lat_bucket{le="0.1"} 3 # {trace_id="a"} 0.05 1700000000.1',
      'lat_bucket{le="+Inf"} 4',
      'lat_sum 0.75',
      'lat_count 4',
      '# EOF',
      '',
    ].join('\n');

    it('bodies that differ only in values: every sample after the first scrape is a sequence hit', () => {
      const set = new ExporterSet(loadProfile('default'));
      const hits = compareOm([0, 1, 2, 3, 4].map((t) => set.renderToBuffer(3, t * 5, 'openmetrics')), 'default profile OM');
      assert.equal(hits[0], 0);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i]! >= set.seriesPerExporter, `body ${i}: ${hits[i]}`);
    });

    it('timestamps, exemplars, long floats, malformed tails, missing or early # EOF: same heads and errors', () => {
      const bodies = [
        OM_BASE,
        OM_BASE.replace(' 10\n', ' 11\n'),
        OM_BASE.replace('1700000000.5', '1700000000.75'),
        OM_BASE.replace('# {trace_id="a"}', '# {trace_id="a",x}'),
        OM_BASE.replace('0.05 1700000000.1', '0.05 x'),
        OM_BASE.replace('lat_sum 0.75', 'lat_sum  0.75'),
        OM_BASE.replace('lat_sum 0.75', 'lat_sum 0.7.5'),
        OM_BASE.replace('up 1', 'up 1 '),
        OM_BASE.replace('# EOF\n', ''),
        OM_BASE.replace('lat_count 4\n', '# EOF\nlat_count 4\n'),
        OM_BASE.replace('up 1', '\nup 1'),
        OM_BASE,
      ].map(lines);
      const hits = compareOm(bodies, 'OM forms');
      assert.equal(hits[1], 8);
      assert.equal(hits.at(-1), 8);
    });

    it('runs recorded by the text parser are not OpenMetrics hits (a target switching formats on equal bytes)', () => {
      const text = '# a comment\n\nfoo{a="1"}\t1\nbar 2\n';
      const omBody = text + '# EOF\n';
      const bodies = [text, text, omBody, omBody, text, 'foo{a="1"} 1\nbar 2\n', 'foo{a="1"} 1\nbar 2\n# EOF\n'].map(lines);
      compareOm(bodies, 'switch', [ct, ct, om, om, ct, ct, om]);
    });

    it('mutated OpenMetrics bodies between scrapes: the sequence accepts exactly what the full path accepts', () => {
      let seed = 0x0e0f;
      const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
      const smoke = new ExporterSet(loadProfile('smoke'));
      const seeds = [lines(OM_BASE), smoke.renderToBuffer(2, 0, 'openmetrics')];
      const special = enc.encode('\\"{}=,# \n.eE+-_:0a\u00ff');
      for (let i = 0; i < 300; i++) {
        const base = seeds[i % seeds.length]!;
        const bytes = Array.from(base);
        for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
          const at = Math.floor(rnd() * bytes.length);
          const r = rnd();
          if (r < 0.4) bytes[at] = special[Math.floor(rnd() * special.length)]!;
          else if (r < 0.7) bytes.splice(at, 0, special[Math.floor(rnd() * special.length)]!);
          else bytes.splice(at, 1 + Math.floor(rnd() * 3));
        }
        const m = Uint8Array.from(bytes);
        compareOm([base, base, m, base], `OM case ${i}`);
      }
    });
  });
}

describe('needsSameBytes', () => {
  it('flags exactly the runs with a ±0, NaN or ±Infinity double on the grid, read as bytes', () => {
    const dv = (a: Uint8Array): DataView => new DataView(a.buffer, a.byteOffset, a.byteLength);
    /** The rule as doubles (the grid of matchNext: every 8 bytes, the last word overlapping). */
    const reference = (a: Uint8Array, s: number, len: number): boolean => {
      if (len < 8) return true;
      for (let j = 0; ; j += 8) {
        if (j > len - 8) j = len - 8;
        const x = dv(a).getFloat64(s + j, true);
        if (x === 0 || x !== x || !Number.isFinite(x)) return true;
        if (j === len - 8) return false;
      }
    };
    const rnd = prng(11);
    const specials = [0, -0, NaN, Infinity, -Infinity, 1.5, 2 ** -1070];
    for (let k = 0; k < 5000; k++) {
      const a = new Uint8Array(64);
      for (let i = 0; i < a.length; i++) a[i] = rnd() < 0.5 ? 0x20 + Math.floor(rnd() * 0x5f) : Math.floor(rnd() * 256);
      const s = Math.floor(rnd() * 8);
      const len = 1 + Math.floor(rnd() * (a.length - s - 1));
      // A special double on a grid word (the last one overlaps the one before it).
      if (len >= 8 && rnd() < 0.5) dv(a).setFloat64(s + Math.min(8 * Math.floor(rnd() * Math.ceil(len / 8)), len - 8), specials[Math.floor(rnd() * specials.length)]!, true);
      assert.equal(needsSameBytes(a, s, len), reference(a, s, len), `case ${k}: [${a.subarray(s, s + len)}]`);
    }
  });
});
