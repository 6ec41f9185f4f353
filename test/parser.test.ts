import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ParseError } from '../src/common/errors.js';
import { Entry, MetricType, OpenMetricsParser, TextParser, createParser, formatOf } from '../src/engine/parse/index.js';
import { TESTDATA } from './helpers/tools.js';
import { entries, parseErrorOf, samples } from './fixtures/parse-helpers.js';

const enc = new TextEncoder();

describe('createParser', () => {
  it('chooses by Content-Type', () => {
    assert.ok(createParser('application/openmetrics-text; version=1.0.0; charset=utf-8') instanceof OpenMetricsParser);
    assert.ok(createParser('Application/OpenMetrics-Text') instanceof OpenMetricsParser);
    assert.ok(createParser('text/plain; version=0.0.4') instanceof TextParser);
    assert.ok(createParser('') instanceof TextParser);
    assert.equal(formatOf('application/openmetrics-textual'), 'text');
  });
});

describe('TextParser', () => {
  it('reads HELP, TYPE, comments and samples with their lines', () => {
    const got = entries(
      '# HELP http_requests_total Requests \\\\ handled.\\n\n' +
        '# TYPE http_requests_total counter\n' +
        '# a plain comment\n' +
        '#HELP not_help x\n' +
        'http_requests_total{method="GET",code="200"} 1027 1395066363000\n',
      'text',
    );
    assert.deepEqual(
      got.map((e) => [e.kind, e.line, e.name]),
      [
        [Entry.Help, 1, 'http_requests_total'],
        [Entry.Type, 2, 'http_requests_total'],
        [Entry.Comment, 3, undefined],
        [Entry.Comment, 4, undefined],
        [Entry.Series, 5, 'http_requests_total'],
      ],
    );
    assert.equal(got[0]!.raw, 'Requests \\\\ handled.\\n', 'HELP text stays escaped');
    assert.equal(got[1]!.type, MetricType.Counter);
    assert.deepEqual(got[4]!.labels, { method: 'GET', code: '200' });
    assert.equal(got[4]!.value, 1027);
    assert.equal(got[4]!.ts, 1395066363000);
  });

  it('knows the five text types', () => {
    const types = ['counter', 'gauge', 'histogram', 'summary', 'untyped'].map(
      (t) => entries(`# TYPE m ${t}\n`, 'text')[0]!.type,
    );
    assert.deepEqual(types, [MetricType.Counter, MetricType.Gauge, MetricType.Histogram, MetricType.Summary, MetricType.Unknown]);
  });

  it('resolves \\\\, \\" and \\n in label values and keeps other escapes', () => {
    const [s] = samples('m{a="x\\"y\\\\z\\nw",b="c:\\\\temp\\t"} 1\n', 'text');
    assert.deepEqual(s!.labels, { a: 'x"y\\z\nw', b: 'c:\\temp\\t' });
  });

  it('decodes UTF-8 in label values and help text', () => {
    const got = entries('# HELP m Größe in °C ✓\nm{ort="Zürich",emoji="😀 ✓"} 1\n', 'text');
    assert.equal(got[0]!.raw, 'Größe in °C ✓');
    assert.deepEqual(got[1]!.labels, { ort: 'Zürich', emoji: '😀 ✓' });
  });

  it('parses NaN, infinities and decimal forms', () => {
    const values = ['NaN', '+Inf', '-Inf', 'Inf', 'inf', '+Infinity', '1.5e+06', '-0.3', '.5', '5.', '1E-7', '-0', '0123', '9007199254740993', '1.7976931348623157e308', '4.9e-324', '20.343611904000003', '1.8446744073709552e+19'];
    const got = samples(values.map((v, i) => `m{i="${i}"} ${v}\n`).join(''), 'text').map((s) => s.value);
    const want = [NaN, Infinity, -Infinity, Infinity, Infinity, Infinity, 1.5e6, -0.3, 0.5, 5, 1e-7, -0, 123, 9007199254740992, 1.7976931348623157e308, 5e-324, 20.343611904000003, 18446744073709552000];
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${values[i]}: got ${got[i]}, want ${want[i]}`);
  });

  it('refuses a value past the largest double, as Go and Prometheus do (value out of range), in both formats', () => {
    for (const v of ['1e400', '-1e400', '2e308', '18e307']) {
      for (const f of ['text', 'openmetrics'] as const) {
        const body = `m ${v}\n${f === 'openmetrics' ? '# EOF\n' : ''}`;
        assert.throws(() => samples(body, f), (e: unknown) => e instanceof ParseError && e.line === 1 && e.message.includes(v), `${f} ${v}`);
      }
    }
    assert.equal(samples('m 1.7976931348623157e308\n', 'text')[0]!.value, 1.7976931348623157e308);
  });

  it('reads integer millisecond timestamps, negative ones too', () => {
    assert.deepEqual(
      samples('a 1 1700000000123\nb 2 -5\nc 3\n', 'text').map((s) => s.ts),
      [1700000000123, -5, undefined],
    );
  });

  it('skips blank and whitespace-only lines, takes blanks and tabs between tokens, CRLF and no final LF', () => {
    const got = entries('\n  \n\t# TYPE m gauge \r\n m \t 1 \t 2 \r\n\r\nm{a="b"}3\n  m{a="c"} 4', 'text');
    assert.deepEqual(
      got.map((e) => [e.kind, e.line, e.value, e.ts]),
      [
        [Entry.Type, 3, undefined, undefined],
        [Entry.Series, 4, 1, 2],
        [Entry.Series, 6, 3, undefined],
        [Entry.Series, 7, 4, undefined],
      ],
    );
    assert.equal(got[0]!.type, MetricType.Gauge);
  });

  it('series bytes cover name{labels} exactly as written, blanks inside kept', () => {
    const got = entries('m { a = "1" , b="x y" , } 3\nm{a="1"} 4\nm 5\n', 'text');
    assert.deepEqual(
      got.map((e) => [e.raw, e.labels]),
      [
        ['m { a = "1" , b="x y" , }', { a: '1', b: 'x y' }],
        ['m{a="1"}', { a: '1' }],
        ['m', {}],
      ],
    );
  });

  it('accepts labels without commas and a trailing comma, as Prometheus does', () => {
    assert.deepEqual(samples('m{a="1" b="2",} 1\n', 'text')[0]!.labels, { a: '1', b: '2' });
  });

  it('gives line and column of what it expected and found', () => {
    const e = parseErrorOf('# HELP x y\nok 1\nsome_metric{abc=x} 1\n', 'text');
    assert.ok(e instanceof ParseError);
    assert.equal(e.message, 'line 3 column 17: expected label value in double quotes, found "x"');
    assert.equal(e.code, 'PROMSOAK_PARSE');
    assert.deepEqual([e.line, e.column], [3, 17]);
  });

  it('reports each kind of malformed line', () => {
    const cases: Array<[string, string]> = [
      ['m{a="1} 2\n', 'line 1 column 10: expected closing double quote of label value, found end of line'],
      ['m{a="1\\', 'line 1 column 7: expected escaped character after backslash, found "\\\\"'],
      ['m 1x\n', 'line 1 column 3: expected value, found "1x"'],
      ['m\n', 'line 1 column 2: expected label set or blank after metric name, found end of line'],
      ['m \n', 'line 1 column 3: expected value, found end of line'],
      ['m 1 1.5\n', 'line 1 column 5: expected timestamp (integer milliseconds) or end of line, found "1.5"'],
      ['m 1 2 3\n', 'line 1 column 7: expected end of line after timestamp, found "3"'],
      ['m{1a="b"} 1\n', 'line 1 column 3: expected label name or "}", found "1a"'],
      ['m{a "b"} 1\n', 'line 1 column 5: expected "=" after label name, found "\\""'],
      ['m{a="b",,} 1\n', 'line 1 column 9: expected label name or "}", found ","'],
      ['m{a="b"', 'line 1 column 8: expected label name or "}", found end of input'],
      ['-m 1\n', 'line 1 column 1: expected metric name or comment, found "-m"'],
      ['# TYPE m counters\n', 'line 1 column 10: expected metric type (counter, gauge, histogram, summary or untyped), found "counters"'],
      ['# HELP \n', 'line 1 column 8: expected metric name after HELP, found end of line'],
      ['# HELP\n', 'no error: a comment, as in Prometheus (HELP needs a blank after it)'],
      ['# TYPE 1m gauge\n', 'line 1 column 8: expected metric name after TYPE, found "1m"'],
      ['m{a="ä"} 1 x\n', 'line 1 column 12: expected timestamp (integer milliseconds) or end of line, found "x"'],
    ];
    for (const [input, message] of cases) {
      if (message.startsWith('no error')) assert.equal(entries(input, 'text')[0]!.kind, Entry.Comment);
      else assert.equal(parseErrorOf(input, 'text').message, message, JSON.stringify(input));
    }
  });

  it('rejects invalid UTF-8 in a label value', () => {
    const buf = new Uint8Array([...enc.encode('m{a="x'), 0xc3, 0x28, ...enc.encode('"} 1\n')]);
    assert.equal(parseErrorOf(buf, 'text').message, 'line 1 column 7: expected valid UTF-8 in label value, found "\ufffd("');
  });

  it('caps label values at 64 KiB and lines at 1 MiB', () => {
    assert.match(parseErrorOf(`m{a="${'v'.repeat(65537)}"} 1\n`, 'text').message, /^line 1 column 6: expected label value of at most 65536 bytes/);
    assert.equal(samples(`m{a="${'v'.repeat(65536)}"} 1\n`, 'text').length, 1);
    const long = `m{${Array.from({ length: 20 }, (_, i) => `l${i}="${'v'.repeat(60000)}"`).join(',')}} 1\n`;
    assert.match(parseErrorOf(long, 'text').message, /expected line of at most 1048576 bytes/);
  });

  it('resumes correctly after a shared series prefix (the prefix-reuse path)', () => {
    const doc = [
      'h_bucket{job="a",le="0.1"} 1',
      'h_bucket{job="a",le="0.25"} 2',
      'h_bucket{job="a",le="+Inf"} 3',
      'h_bucket{job="ab",le="1"} 4',
      'h_bucketx{job="a"} 5',
      'h_bucket 6',
      'h_bucket{job="a",le="0.1",extra="y"} 7',
      'h_bucket{job="a",le="0.1"} 8',
      'h_bucket{job="a",le="0.1"} 9',
    ].join('\n');
    const whole = samples(doc, 'text');
    const alone = doc.split('\n').map((l) => samples(l, 'text')[0]);
    assert.deepEqual(whole, alone);
    // An error inside the shared prefix region is still found where it is.
    const e = parseErrorOf('h{job="a",le="1"} 1\nh{job="a",le=1} 2\n', 'text');
    assert.equal(e.message, 'line 2 column 14: expected label value in double quotes, found "1"');
  });

  it('reads the real captures', () => {
    const n = samples(readFileSync(join(TESTDATA, 'node_exporter-1.5.0.prom')), 'text').length;
    assert.equal(n, 507);
  });

  it('allocates nothing per sample (no scavenge over ~1M samples)', async (t) => {
    const file = join(TESTDATA, 'prometheus-alltypes.237mfs.prom.txt');
    let buf: Uint8Array;
    try {
      buf = readFileSync(file);
    } catch {
      t.skip(`${file} is absent`);
      return;
    }
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const p = new TextParser();
    let sink = 0;
    const pass = (): number => {
      p.reset(buf);
      let n = 0;
      for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
        if (e === Entry.Series) {
          sink += (p.value === p.value ? 1 : 0) + p.seriesEnd - p.seriesStart;
          n++;
        }
      }
      return n;
    };
    for (let i = 0; i < 200; i++) pass(); // warm up: optimised code
    let scavenges = 0;
    const obs = new PerformanceObserver((list) => {
      scavenges += list.getEntries().length;
    });
    obs.observe({ entryTypes: ['gc'] });
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    scavenges = 0;
    // Synchronous: nothing else can allocate in between. An empty young generation and no
    // allocation means no scavenge at all; 16 bytes a sample would be several.
    let n = 0;
    while (n < 1_000_000) n += pass();
    await new Promise((resolve) => setTimeout(resolve, 20));
    obs.disconnect();
    assert.ok(Number.isFinite(sink));
    assert.ok(scavenges <= 1, `${scavenges} GCs while parsing ${n} samples`);
  });
});

describe('OpenMetricsParser', () => {
  const om = (s: string): string => s + '# EOF\n';

  it('reads HELP, TYPE, UNIT, samples and stops at # EOF', () => {
    const got = entries(
      om('# HELP foo_seconds Time.\n# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\nfoo_seconds_total{a="b"} 1.5\nfoo_seconds_created{a="b"} 1.7e9\n'),
      'openmetrics',
    );
    assert.deepEqual(
      got.map((e) => [e.kind, e.line, e.name, e.raw]),
      [
        [Entry.Help, 1, 'foo_seconds', 'Time.'],
        [Entry.Type, 2, 'foo_seconds', 'counter'],
        [Entry.Unit, 3, 'foo_seconds', 'seconds'],
        [Entry.Series, 4, 'foo_seconds_total', 'foo_seconds_total{a="b"}'],
        [Entry.Series, 5, 'foo_seconds_created', 'foo_seconds_created{a="b"}'],
      ],
    );
    assert.equal(got[3]!.value, 1.5);
    assert.equal(got[4]!.value, 1.7e9);
  });

  it('knows the OpenMetrics types', () => {
    const names = ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'];
    const got = entries(om(names.map((t, i) => `# TYPE m${i} ${t}\n`).join('')), 'openmetrics').map((e) => e.type);
    assert.deepEqual(got, [1, 2, 3, 5, 4, 6, 7, 0]);
  });

  it('converts float-second timestamps to integer milliseconds exactly', () => {
    const got = samples(om('a 1 1.5\nb 1 1700000000.123\nc 1 1.001\nd 1 1e3\ne 1 -1.5\nf 1 1.7268398142239082e+09\ng 1\n'), 'openmetrics');
    assert.deepEqual(got.map((s) => s.ts), [1500, 1700000000123, 1001, 1000000, -1500, 1726839814223, undefined]);
  });

  it('skips exemplars', () => {
    const got = samples(
      om('a_bucket{le="1"} 3 # {trace_id="x"} 1.0 1.6e9\na_bucket{le="+Inf"} 4 1.5 # {} 2\na_total 7 # {id="é"} 0.5\n'),
      'openmetrics',
    );
    assert.deepEqual(got, [
      { name: 'a_bucket', labels: { le: '1' }, value: 3 },
      { name: 'a_bucket', labels: { le: '+Inf' }, value: 4, ts: 1500 },
      { name: 'a_total', labels: {}, value: 7 },
    ]);
  });

  it('takes an empty label set, escapes and UTF-8', () => {
    assert.deepEqual(samples(om('a{} 1\nb{x="\\"q\\" ü"} NaN\n'), 'openmetrics'), [
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { x: '"q" ü' }, value: NaN },
    ]);
  });

  it('reads the real captures', () => {
    const n = samples(readFileSync(join(TESTDATA, 'prometheus-alltypes.5mfs.om.txt')), 'openmetrics').length;
    assert.equal(n, 53);
  });

  it('reports what OpenMetrics forbids, with line and column', () => {
    const cases: Array<[string, string]> = [
      ['a 1\n', 'line 2 column 1: expected "# EOF", found end of input'],
      ['a 1\n# EOF\nb 2\n', 'line 3 column 1: expected end of input after "# EOF", found "b"'],
      ['a 1\n# EOF\n\n', 'line 3 column 1: expected end of input after "# EOF", found end of line'],
      ['a 1\n\n# EOF\n', 'line 2 column 1: expected metric name, "# HELP", "# TYPE", "# UNIT" or "# EOF", found end of line'],
      ['# comment\n# EOF\n', 'line 1 column 3: expected "HELP", "TYPE", "UNIT" or "EOF" after "# ", found "comment"'],
      ['a{b="1",} 1\n# EOF\n', 'line 1 column 9: expected label name, found "}"'],
      ['a{b="1" ,c="2"} 1\n# EOF\n', 'line 1 column 8: expected "," or "}" after label value, found " "'],
      ['a  1\n# EOF\n', 'line 1 column 3: expected value, found " "'],
      ['a {b="1"} 1\n# EOF\n', 'line 1 column 3: expected value, found "{"'],
      ['a 1 NaN\n# EOF\n', 'line 1 column 5: expected timestamp or exemplar, found "NaN"'],
      ['a 1 # x\n# EOF\n', 'line 1 column 5: expected exemplar "# {", found "#"'],
      ['# TYPE a untyped\n# EOF\n', 'line 1 column 10: expected metric type (counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown), found "untyped"'],
      ['# HELP a\n# EOF\n', 'line 1 column 9: expected space after metric name, found end of line'],
      ['a 1\r\n# EOF\n', 'line 1 column 3: expected value, found "1\\r"'],
    ];
    for (const [input, message] of cases) assert.equal(parseErrorOf(input, 'openmetrics').message, message, JSON.stringify(input));
  });

  it('returns EOF for good after # EOF', () => {
    const p = new OpenMetricsParser();
    p.reset(enc.encode('# EOF'));
    assert.equal(p.next(), Entry.EOF);
    assert.equal(p.next(), Entry.EOF);
  });
});
