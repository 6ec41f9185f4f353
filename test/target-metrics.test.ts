import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type RequestListener } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PromsoakError } from '../src/common/errors.js';
import { fetchMetrics, METRICS_BODY_LIMIT, MetricsSnapshot, parseSelector, selectValue, sniffFormat, summaryQuantiles } from '../src/telemetry/target-metrics.js';
import { TESTDATA, which } from './helpers/tools.js';

const prometheusBody = readFileSync(join(TESTDATA, 'metrics-prometheus-2.42.txt'));
const vmBody = readFileSync(join(TESTDATA, 'metrics-victoria-metrics.txt'));
const select = (body: Buffer | MetricsSnapshot, sel: string): number | null => selectValue(body, parseSelector(sel));

test("Debian's prometheus 2.42 /metrics: ingestion counters by type, Go's runtime, absent → null", () => {
  const p = MetricsSnapshot.parse(prometheusBody);
  // 2.42 labels appended samples by type (float, histogram): the bare name sums both.
  assert.equal(select(p, 'prometheus_tsdb_head_samples_appended_total{type="float"}'), 5038);
  assert.equal(select(p, 'prometheus_tsdb_head_samples_appended_total{type="histogram"}'), 0);
  assert.equal(select(p, 'prometheus_tsdb_head_samples_appended_total'), 5038);
  assert.equal(select(p, 'go_memstats_alloc_bytes_total'), 99655648);
  assert.equal(select(p, 'go_gc_duration_seconds_count'), 14);
  assert.equal(select(p, 'go_gc_duration_seconds_count + go_memstats_alloc_bytes_total'), 99655662);
  assert.equal(select(p, 'prometheus_tsdb_head_samples_appended_total{type!="float"}'), 0, 'a series with value 0 is there: 0, not null');
  assert.equal(select(p, 'prometheus_tsdb_head_samples_appended_total{type="exemplar"}'), null);
  assert.equal(select(p, 'no_such_metric'), null);
  assert.equal(select(p, 'no_such_metric + neither'), null);
  // The same from the body as bytes (parsed per call).
  assert.equal(select(prometheusBody, 'go_gc_duration_seconds_count'), 14);
  assert.equal(p.size, 356);
});

test('victoria-metrics 1.79 /metrics (no # TYPE lines, a space after label commas): rows ingested from scrapes', () => {
  const v = MetricsSnapshot.parse(vmBody);
  assert.equal(sniffFormat(vmBody), 'text');
  // Rows ingested by its scraper: the samples of the scraped bodies plus 6 per scrape that
  // VictoriaMetrics adds itself (up, scrape_duration_seconds, scrape_samples_scraped, …).
  const rows = select(v, 'vm_rows_inserted_total{type="promscrape"}');
  const scraped = select(v, 'vm_promscrape_scraped_samples_sum');
  const scrapes = select(v, 'vm_promscrape_scrapes_total');
  assert.equal(rows, 15001);
  assert.equal(rows, scraped! + 6 * scrapes!, `${rows} = ${scraped} + 6 × ${scrapes}`);
  assert.equal(select(v, 'vm_rows_added_to_storage_total'), rows);
  assert.equal(select(v, 'vm_rows_inserted_total{type=~"prom.*"}'), rows);
  assert.equal(select(v, 'vm_rows_inserted_total{type!~"prom.*"}'), 0);
  assert.equal(select(v, 'vm_rows_inserted_total{type=~"scrape"}'), null, 'regexes are anchored');
  assert.equal(select(v, 'vm_log_messages_total{level="info", location=~".*/main.go:.*"}'), 4);
  // An absent label reads as "", as in PromQL.
  assert.equal(select(v, 'vm_rows_added_to_storage_total{type=""}'), rows);
});

test('summaries: count, sum and quantiles; narrowed by labels; absent → null', () => {
  assert.deepEqual(summaryQuantiles(prometheusBody, 'go_gc_duration_seconds'), {
    count: 14,
    sum: 0.001183439,
    quantiles: { '0': 1.4693e-5, '0.25': 3.5053e-5, '0.5': 6.3154e-5, '0.75': 9.5712e-5, '1': 0.000306117 },
  });
  const vm = summaryQuantiles(vmBody, 'go_gc_duration_seconds');
  assert.equal(vm?.count, 43);
  assert.equal(summaryQuantiles(prometheusBody, 'no_such_summary'), null);
  const two = Buffer.from('x{a="1",quantile="0.5"} 1\nx_sum{a="1"} 2\nx_count{a="1"} 3\nx{a="2",quantile="0.5"} 4\nx_sum{a="2"} 5\nx_count{a="2"} 6\n');
  assert.throws(() => summaryQuantiles(two, 'x'), (e: PromsoakError) => e.code === 'PROMSOAK_USAGE' && /matches 2 label sets/.test(e.message));
  assert.deepEqual(summaryQuantiles(two, 'x{a="2"}'), { count: 6, sum: 5, quantiles: { '0.5': 4 } });
});

test('selectors: the grammar, and a bad one is one line naming it and the column', () => {
  assert.deepEqual(parseSelector('a_b:c{x="1", y!="2",z=~"a|b" ,w!~"\\\\d+\\"q"} + d').terms.map((t) => ({ name: t.name, m: t.matchers.map(({ label, op, value }) => [label, op, value]) })), [
    { name: 'a_b:c', m: [['x', '=', '1'], ['y', '!=', '2'], ['z', '=~', 'a|b'], ['w', '!~', '\\d+"q']] },
    { name: 'd', m: [] },
  ]);
  assert.equal(parseSelector('a{}').terms[0]!.matchers.length, 0);
  assert.equal(parseSelector('a{b="c",}').terms[0]!.matchers.length, 1, 'a trailing comma, as PromQL takes');
  const cases: [string, number][] = [
    ['', 1],
    ['1abc', 1],
    ['a{b="c"', 8],
    ['a{b=c}', 5],
    ['a{b=="c"}', 5],
    ['a{b=~"("}', 6],
    ['a +', 4],
    ['a b', 3],
    ['a{"b"="c"}', 3],
  ];
  for (const [text, column] of cases) {
    assert.throws(
      () => parseSelector(text),
      (e: PromsoakError) => {
        assert.equal(e.code, 'PROMSOAK_USAGE');
        assert.equal(e.exitCode, 2);
        assert.ok(e.message.startsWith(`selector ${JSON.stringify(text)}: column ${column}: expected `), e.message);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      },
      text,
    );
  }
});

test('OpenMetrics bodies are told apart by their # EOF', () => {
  const om = readFileSync(join(TESTDATA, 'prometheus-alltypes.5mfs.om.txt'));
  assert.equal(sniffFormat(om), 'openmetrics');
  assert.equal(sniffFormat(prometheusBody), 'text');
  const snap = MetricsSnapshot.parse(om);
  assert.ok(snap.size > 0);
  assert.equal(selectValue(Buffer.from('# TYPE a counter\na_total 3 # {x="y"} 1\n# EOF\n'), parseSelector('a_total')), 3, 'an exemplar, OpenMetrics only');
});

async function serve(handler: RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

test('fetchMetrics: the body; failures are one line naming the URL and why', async () => {
  let big = false;
  const s = await serve((req, res) => {
    if (req.url === '/metrics') {
      assert.match(String(req.headers.accept), /^text\/plain;version=0\.0\.4/);
      res.end('up 1\n');
    } else if (req.url === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end('x');
    else if (req.url === '/slow') setTimeout(() => res.end('up 1\n'), 2000).unref();
    else if (req.url === '/big') {
      big = true;
      res.writeHead(200);
      const chunk = Buffer.alloc(2 ** 20, 'a');
      for (let i = 0; i <= METRICS_BODY_LIMIT / chunk.length; i++) res.write(chunk);
      res.end();
    } else res.writeHead(404).end();
  });
  const base = s.url.replace('/metrics', '');
  try {
    assert.equal((await fetchMetrics(s.url, 2000)).toString(), 'up 1\n');
    const fails: [string, RegExp][] = [
      ['/nothing', /: HTTP status 404$/],
      ['/gzip', /: Content-Encoding gzip, though identity was asked$/],
      ['/slow', /: no whole response within 300 ms$/],
      ['/big', /: the body is over 16777216 bytes$/],
    ];
    for (const [path, why] of fails) {
      await assert.rejects(fetchMetrics(base + path, 300), (e: PromsoakError) => e.code === 'PROMSOAK_SCRAPE' && e.message.startsWith(base + path + ': ') && why.test(e.message) && !e.message.includes('\n'));
    }
    assert.ok(big);
  } finally {
    await s.close();
  }
  await assert.rejects(fetchMetrics(s.url, 1000), (e: PromsoakError) => e.code === 'PROMSOAK_SCRAPE' && /ECONNREFUSED/.test(e.message));
});

test("a live Debian prometheus: fetch, parse and select its own /metrics", { timeout: 60_000 }, async (t) => {
  const bin = which('prometheus');
  if (!bin) return t.skip('prometheus not installed (Debian package prometheus)');
  const free = await serve(() => {});
  const port = Number(new URL(free.url).port);
  await free.close();
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-target-'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
  const child = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    let body: Buffer | undefined;
    for (let i = 0; i < 100 && !body; i++) body = await fetchMetrics(url, 1000).catch(() => sleep(100).then(() => undefined));
    assert.ok(body, 'prometheus answered within 10 s');
    // Wait for it to have scraped itself a few times: its own counter of appended samples grows.
    let appended = 0;
    for (let i = 0; i < 50 && appended === 0; i++, await sleep(200)) appended = select(await fetchMetrics(url, 1000), 'prometheus_tsdb_head_samples_appended_total') ?? 0;
    assert.ok(appended > 0, 'it ingested its own scrape');
    const n = 20;
    const t0 = process.hrtime.bigint();
    let gc: number | null = null;
    for (let i = 0; i < n; i++) gc = select(await fetchMetrics(url, 1000), 'go_gc_duration_seconds_count');
    const us = Number(process.hrtime.bigint() - t0) / n / 1000;
    assert.ok(gc !== null && gc >= 0);
    t.diagnostic(`fetch + parse + select of prometheus's /metrics: ${us.toFixed(0)} µs each (mean of ${n})`);
  } finally {
    child.kill();
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});
