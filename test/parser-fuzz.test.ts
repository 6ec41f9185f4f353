import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ParseError } from '../src/common/errors.js';
import { Entry, parserFor, type ExpositionFormat, type Parser } from '../src/engine/parse/index.js';
import { formatOfPath } from '../src/commands/parse.js';
import { parseFloatAt, plainValueLine } from '../src/engine/parse/float.js';
import { NUM } from '../src/engine/parse/num.js';
import { TESTDATA } from './helpers/tools.js';
import { prng } from './fixtures/parse-helpers.js';

/**
 * Deterministic fuzzing of both parsers: every input either parses or throws a ParseError
 * with a positive line and column, never anything else, never a hang. Seeds are fixed, so a
 * failure names a reproducible case.
 */

const enc = new TextEncoder();
const SPECIAL = enc.encode('\\"{}=,# \n\t.eE+-_:0a\r\u00ff');

const inputs: Array<{ name: string; buf: Uint8Array; format: ExpositionFormat }> = [];
for (const f of readdirSync(TESTDATA).sort()) {
  if (!/\.(prom|txt|om)$/.test(f)) continue;
  inputs.push({ name: f, buf: readFileSync(join(TESTDATA, f)), format: formatOfPath(f) });
}
// Small built-in seeds beside the real captures.
inputs.push({
  name: 'builtin.prom',
  buf: enc.encode('# HELP m Help \\n text.\n# TYPE m histogram\nm_bucket{a="x\\"y",le="0.5"} 1 1700000000000\nm_bucket{a="x\\"y",le="+Inf"} 2\nm_sum{a="ü"} NaN\nm_count 3\n'),
  format: 'text',
});
inputs.push({
  name: 'builtin.om.txt',
  buf: enc.encode('# TYPE m histogram\n# UNIT m seconds\nm_bucket{le="1"} 1 # {id="a"} 0.5 1.5\nm_bucket{le="+Inf"} 2 1.25\nm_sum 3.5\nm_count 2\n# EOF\n'),
  format: 'openmetrics',
});

/** Parses to the end; returns the number of entries or the ParseError. Anything else fails the test. */
function run(p: Parser, buf: Uint8Array, label: string): number | ParseError {
  p.reset(buf);
  let n = 0;
  const cap = buf.length + 2;
  try {
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      if (++n > cap) assert.fail(`${label}: no progress after ${n} entries`);
      if (e === Entry.Series) {
        assert.ok(p.seriesStart <= p.seriesEnd && p.seriesEnd <= buf.length, `${label}: series offsets`);
        assert.equal(typeof p.value, 'number');
      }
    }
    return n;
  } catch (e) {
    if (!(e instanceof ParseError)) assert.fail(`${label}: threw ${(e as Error)?.stack ?? String(e)}`);
    assert.ok(Number.isInteger(e.line) && e.line > 0, `${label}: line ${e.line}`);
    assert.ok(Number.isInteger(e.column) && e.column > 0, `${label}: column ${e.column}`);
    assert.equal(e.code, 'PROMSOAK_PARSE');
    return e;
  }
}

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const bytes = Array.from(src.length > 4096 ? src.subarray(0, 1024 + Math.floor(rnd() * (src.length - 1024))) : src);
  const edits = 1 + Math.floor(rnd() * 6);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const r = rnd();
    if (r < 0.25) bytes[at] = Math.floor(rnd() * 256); // flip to a random byte
    else if (r < 0.45) bytes.splice(at, 0, SPECIAL[Math.floor(rnd() * SPECIAL.length)]!); // insert \ " { …
    else if (r < 0.6) bytes.splice(at, 1 + Math.floor(rnd() * 4)); // delete
    else if (r < 0.7) bytes.splice(at, 0, ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256)));
    else if (r < 0.8) bytes.length = at; // truncate
    else if (r < 0.9 && at < bytes.length) bytes[at] = bytes[at]! ^ (1 << Math.floor(rnd() * 8)); // bit flip
    else bytes.splice(at, 0, ...bytes.slice(Math.max(0, at - 40), at)); // duplicate a run
  }
  return Uint8Array.from(bytes);
}

describe('parser fuzzing', () => {
  it('mutated captures: parse or ParseError, both formats', () => {
    const rnd = prng(0x5eed);
    const parsers = { text: parserFor('text'), openmetrics: parserFor('openmetrics') };
    let cases = 0;
    let errors = 0;
    for (const input of inputs) {
      for (let i = 0; i < 350; i++) {
        const buf = mutate(input.buf, rnd);
        // Mostly the input's own format, sometimes the other one.
        const format: ExpositionFormat = rnd() < 0.8 ? input.format : input.format === 'text' ? 'openmetrics' : 'text';
        if (run(parsers[format], buf, `${input.name} case ${i} (${format})`) instanceof ParseError) errors++;
        cases++;
      }
    }
    assert.ok(errors > 0 && errors < cases, `${errors} of ${cases} cases failed to parse`);
  });

  it('truncations at random points', () => {
    const rnd = prng(7);
    let cases = 0;
    for (const input of inputs) {
      const p = parserFor(input.format);
      for (let i = 0; i < 150; i++) {
        run(p, input.buf.subarray(0, Math.floor(rnd() * input.buf.length)), `${input.name} truncated (${i})`);
        cases++;
      }
    }
    assert.ok(cases > 0);
  });

  it('random bytes and random exposition-like text', () => {
    const rnd = prng(42);
    const alphabet = enc.encode('ab_:{}="\\ ,#\n\t0123456789.eE+-NaInf\r');
    for (let i = 0; i < 800; i++) {
      const len = Math.floor(rnd() * 300);
      const buf = new Uint8Array(len);
      const pick = rnd() < 0.5;
      for (let j = 0; j < len; j++) buf[j] = pick ? Math.floor(rnd() * 256) : alphabet[Math.floor(rnd() * alphabet.length)]!;
      run(parserFor('text'), buf, `random ${i} (text)`);
      run(parserFor('openmetrics'), buf, `random ${i} (openmetrics)`);
    }
  });

  it('huge label values and lines', () => {
    const big = 'v'.repeat(2 << 20);
    for (const format of ['text', 'openmetrics'] as const) {
      const eof = format === 'openmetrics' ? '# EOF\n' : '';
      const e1 = run(parserFor(format), enc.encode(`m{a="${big}"} 1\n${eof}`), `2 MiB label value (${format})`);
      assert.ok(e1 instanceof ParseError && /label value of at most/.test(e1.message), String(e1));
      const e2 = run(parserFor(format), enc.encode(`m{a="${big}`), `2 MiB unterminated label value (${format})`);
      assert.ok(e2 instanceof ParseError);
      const e3 = run(parserFor(format), enc.encode(`${'m'.repeat(2 << 20)} 1\n${eof}`), `2 MiB metric name (${format})`);
      assert.ok(e3 instanceof ParseError && /line of at most/.test(e3.message), String(e3));
      const e4 = run(parserFor(format), enc.encode(`# HELP m ${big}\n${eof}`), `2 MiB help (${format})`);
      assert.ok(e4 instanceof ParseError && /line of at most/.test(e4.message), String(e4));
    }
  });

  it('series-prefix reuse: a whole mutated document reads as its lines read alone (text)', () => {
    // Text lines are independent, so parsing a line alone with a fresh parser is the reference
    // for what the reused-prefix path must produce, errors (and their columns) included.
    const rnd = prng(99);
    let compared = 0;
    const base = inputs.filter((x) => x.format === 'text');
    for (let i = 0; i < 120; i++) {
      const src = base[i % base.length]!.buf;
      const from = Math.floor(rnd() * Math.max(1, src.length - 3000));
      const slice = src.subarray(from, from + 3000);
      const buf = mutate(slice.subarray(slice.indexOf(0x0a) + 1), rnd);
      const whole = describeAll(parserFor('text'), buf);
      const alone: string[] = [];
      for (let l = 0, at = 0; at < buf.length; l++) {
        const lf = buf.indexOf(0x0a, at);
        const next = lf < 0 ? buf.length : lf + 1;
        const one = describeAll(parserFor('text'), buf.subarray(at, next));
        for (const d of one) alone.push(d.replace(/^1:/, `${l + 1}:`).replace(/^line 1 /, `line ${l + 1} `));
        if (one.length > 0 && one[one.length - 1]!.startsWith('line ')) break;
        at = next;
      }
      compared++;
      assert.deepEqual(whole, alone, `case ${i}`);
    }
    assert.equal(compared, 120);
  });
});

describe('parser fuzzing, OpenMetrics prefix reuse', () => {
  it('a mutated document reads as its lines read alone (each line + "# EOF")', () => {
    const rnd = prng(1234);
    const eof = enc.encode('# EOF\n');
    const lines = inputs
      .filter((x) => x.format === 'openmetrics')
      .flatMap((x) => new TextDecoder().decode(x.buf).split('\n'))
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length === 0) return;
    for (let i = 0; i < 150; i++) {
      const from = Math.floor(rnd() * lines.length);
      const body = mutate(enc.encode(lines.slice(from, from + 30).join('\n') + '\n'), rnd);
      // An empty body is "# EOF" alone: adding a newline there would make an empty line the
      // line-by-line oracle never sees (it had failed on case 87 with a smaller corpus).
      const whole = describeAll(parserFor('openmetrics'), Uint8Array.from([...body, ...(body.length === 0 || body[body.length - 1] === 0x0a ? [] : [0x0a]), ...eof]));
      const alone: string[] = [];
      for (let l = 0, at = 0; at < body.length; l++) {
        const lf = body.indexOf(0x0a, at);
        const next = lf < 0 ? body.length : lf + 1;
        const line = body.subarray(at, next);
        const one = describeAll(parserFor('openmetrics'), Uint8Array.from([...line, ...(line[line.length - 1] === 0x0a ? [] : [0x0a]), ...eof]));
        for (const d of one) alone.push(d.replace(/^1:/, `${l + 1}:`).replace(/^line 1 /, `line ${l + 1} `));
        if (one.length > 0 && one[one.length - 1]!.startsWith('line ')) break;
        at = next;
      }
      assert.deepEqual(whole, alone, `case ${i}`);
    }
  });
});

/** Series as `line:raw=value@ts labels`, and a final ParseError message if any. */
function describeAll(p: Parser, buf: Uint8Array): string[] {
  const out: string[] = [];
  const dec = new TextDecoder();
  const pairs: [string, string][] = [];
  p.reset(buf);
  try {
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      if (e !== Entry.Series) continue;
      const raw = dec.decode(buf.subarray(p.seriesStart, p.seriesEnd));
      out.push(`${p.line}:${raw}=${p.value}@${p.timestampMs} ${JSON.stringify(p.labels(pairs))} ${p.metricName()}`);
    }
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    out.push(e.message);
  }
  return out;
}

describe('float parsing against Number()', () => {

  it('16–17 significant digits (the two-sum / two-product path), ties and neighbours included: exactly Number()', () => {
    const rnd = prng(0x17d);
    const enc = new TextEncoder();
    const f64 = new Float64Array(1);
    const u64 = new BigUint64Array(f64.buffer);
    let n = 0;
    const check = (s: string): void => {
      const b = enc.encode(s);
      const k = parseFloatAt(new DataView(b.buffer), b, 0, b.length, true);
      n++;
      if (k !== b.length || !Object.is(NUM[0], Number(s))) assert.fail(`${s}: read ${NUM[0]}, Number() ${Number(s)}`);
    };
    const digits = (len: number): string => {
      let s = String(1 + Math.floor(rnd() * 9));
      while (s.length < len) s += String(Math.floor(rnd() * 10));
      return s;
    };
    for (let i = 0; i < 60_000; i++) {
      const x = rnd() * Math.pow(10, Math.floor(rnd() * 24) - 8);
      check(String(x));
      check(x.toPrecision(17));
      check('-' + x.toPrecision(16));
      // The decimal nearest the midpoint to the next double up, and one digit either way.
      f64[0] = x;
      u64[0] += 1n;
      const mid = ((x + f64[0]) / 2).toPrecision(17);
      check(mid);
      if (!mid.includes('e')) check(mid.slice(0, -1) + String((Number(mid.at(-1)) + 1) % 10));
      const len = 16 + (i & 1);
      const ds = digits(len);
      const p = Math.floor(rnd() * (len + 6));
      check(p <= len ? ds.slice(0, p) + '.' + ds.slice(p) : '0.' + '0'.repeat(p - len) + ds);
      // Exact ties: x.5 with x in [2^52, 2^53).
      check(String(2 ** 52 + Math.floor(rnd() * 2 ** 52)) + '.5');
    }
    assert.ok(n > 400_000);
  });

  it('plainValueLine: a value then LF reads as parseFloatAt, or is left to it (-1)', () => {
    const rnd = prng(0x91a);
    const enc = new TextEncoder();
    const forms = ['0', '7', '00012', '123456789012345', '1234567890123456', '1.', '0.1', '21.5', '1e5', '1.5E+3', '7.6238e-05', '9.03676723e+08',
      '1e-22', '1e22', '1e23', '1e', '1e+', '.5', '5.e3', '1.5e+0003', '1e0400', '-1', 'NaN', '12 34', '1\r'];
    for (let i = 0; i < 20_000; i++) {
      const s = i < forms.length ? forms[i]! : (rnd() * Math.pow(10, Math.floor(rnd() * 12) - 6)).toPrecision(1 + Math.floor(rnd() * 15));
      const b = enc.encode(s + '\n');
      const dv = new DataView(b.buffer);
      const k = plainValueLine(dv, b, 0, b.length);
      if (k < 0) continue;
      const v = NUM[0];
      assert.equal(parseFloatAt(dv, b, 0, b.length, true), k - 1, s);
      assert.ok(Object.is(v, NUM[0]), `${s}: ${v} vs ${NUM[0]}`);
    }
  });
});
