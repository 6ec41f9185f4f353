import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PromsoakError } from '../src/common/errors.js';
import { formatOfPath, parseCommand } from '../src/commands/parse.js';
import { ROOT, runCli } from './helpers/tools.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');

async function lines(source: string, format?: 'text' | 'openmetrics'): Promise<string[]> {
  const out: string[] = [];
  await parseCommand({ source, format }, (l) => out.push(l));
  return out;
}

describe('promsoak parse', () => {
  it('prints one JSON object per sample: NaN/±Inf as strings, timestamps only when present, escapes resolved', async () => {
    assert.deepEqual(await lines(join(FIXTURES, 'parse-sample.prom')), [
      '{"name":"rpc_seconds","labels":{"quantile":"0.5","path":"/a\\"b\\\\c\\nd"},"value":"NaN"}',
      '{"name":"rpc_seconds","labels":{"quantile":"0.9","path":"/ü"},"value":"+Inf","timestamp":1700000000123}',
      '{"name":"rpc_seconds_sum","labels":{"path":"/a"},"value":"-Inf"}',
      '{"name":"rpc_seconds_count","labels":{"path":"/a"},"value":17,"timestamp":-5}',
      '{"name":"up","labels":{},"value":1500000}',
    ]);
  });

  it('reads .om.txt files as OpenMetrics (timestamps in seconds, exemplars skipped); --format overrides', async () => {
    const file = join(FIXTURES, 'parse-sample.om.txt');
    assert.equal(formatOfPath(file), 'openmetrics');
    assert.equal(formatOfPath('x.om'), 'openmetrics');
    assert.equal(formatOfPath('x.prom'), 'text');
    assert.deepEqual(await lines(file), [
      '{"name":"a_total","labels":{"x":"y"},"value":1.5,"timestamp":1001}',
      '{"name":"a_created","labels":{"x":"y"},"value":1700000000}',
    ]);
    // As text, the exemplar's "#" is no timestamp.
    await assert.rejects(lines(file, 'text'), /line 2 column 20: expected timestamp \(integer milliseconds\) or end of line, found "1.001"/);
  });

  it('names the source, line and column of a parse error (exit 1 from the CLI)', async () => {
    const file = join(FIXTURES, 'parse-malformed.prom');
    await assert.rejects(lines(file), (e: unknown) => {
      assert.ok(e instanceof PromsoakError);
      assert.equal(e.code, 'PROMSOAK_PARSE');
      assert.equal(e.exitCode, 1);
      assert.equal(e.message, `${file}: line 2 column 8: expected label value in double quotes, found "x"`);
      return true;
    });
    const r = runCli(['parse', 'test/fixtures/parse-malformed.prom']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '{"name":"up","labels":{},"value":1}\n');
    assert.equal(r.stderr, 'promsoak: test/fixtures/parse-malformed.prom: line 2 column 8: expected label value in double quotes, found "x"\n');
  });

  it('fetches a loopback URL and takes the format from its Content-Type', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/om') {
        res.setHeader('content-type', 'application/openmetrics-text; version=1.0.0; charset=utf-8');
        res.end('m 1 2.5\n# EOF\n');
      } else if (req.url === '/text') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end('m 1 2500\n');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.deepEqual(await lines(`${base}/om`), ['{"name":"m","labels":{},"value":1,"timestamp":2500}']);
      assert.deepEqual(await lines(`${base}/text`), ['{"name":"m","labels":{},"value":1,"timestamp":2500}']);
      await assert.rejects(lines(`${base}/text`, 'openmetrics'), /expected "# EOF", found end of input/);
      await assert.rejects(lines(`${base}/nope`), /HTTP status 404/);
    } finally {
      server.close();
    }
  });

  it('refuses URLs off loopback and unreadable files', async () => {
    await assert.rejects(lines('http://example.com/metrics'), /loopback URLs only/);
    await assert.rejects(lines(join(FIXTURES, 'no-such-file.prom')), /no-such-file.prom: no such file/);
  });
});
