import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fillPlaceholders, parseEnv, parseTarget, targetLabel } from '../src/run/target-spec.js';
import { planTarget } from '../src/run/target-plan.js';
import { scrapeConfig } from '../src/run/target-kinds.js';
import { PromsoakError } from '../src/common/errors.js';
import { which } from './helpers/tools.js';

const usage = (re: RegExp) => (e: unknown): boolean => e instanceof PromsoakError && e.exitCode === 2 && re.test(e.message) && !e.message.includes('\n');

describe('--target: what it names', () => {
  it('reads every kind, with the default binaries', () => {
    assert.deepEqual(parseTarget('builtin'), { kind: 'builtin' });
    assert.deepEqual(parseTarget('prometheus'), { kind: 'prometheus', binary: 'prometheus' });
    assert.deepEqual(parseTarget('prometheus:/opt/prom/prometheus'), { kind: 'prometheus', binary: '/opt/prom/prometheus' });
    assert.deepEqual(parseTarget('victoria-metrics'), { kind: 'victoria-metrics', binary: 'victoria-metrics' });
    assert.deepEqual(parseTarget("exec:my-scraper --sd {file_sd} --listen :{port}"), { kind: 'exec', command: 'my-scraper --sd {file_sd} --listen :{port}', argv: ['my-scraper', '--sd', '{file_sd}', '--listen', ':{port}'] });
    assert.deepEqual(parseTarget('url:http://127.0.0.1:9090/metrics'), { kind: 'url', url: 'http://127.0.0.1:9090/metrics' });
    assert.equal(targetLabel(parseTarget('exec:/usr/bin/otelcol --config x')), 'exec:/usr/bin/otelcol');
    assert.equal(targetLabel(parseTarget('prometheus')), 'prometheus');
  });

  it('refuses what it cannot mean, in one line (exit 2)', () => {
    assert.throws(() => parseTarget('prom'), usage(/one of builtin, prometheus/));
    assert.throws(() => parseTarget('exec:'), usage(/needs a command line/));
    assert.throws(() => parseTarget('exec:scraper {file_sd} {bogus}'), usage(/unknown placeholder \{bogus\} at column 19 of the command/));
    assert.throws(() => parseTarget('url:not a url'), usage(/needs a metrics URL/));
    assert.throws(() => parseTarget('url:ftp://x/metrics'), usage(/http\(s\)/));
    assert.throws(() => parseTarget('builtin:x'), usage(/no argument/));
  });

  it('fills placeholders and parses --env', () => {
    const argv = fillPlaceholders(['s', '--sd', '{file_sd}', '--http', '{http_sd}', '-p', '{port}', '-d', '{dir}', '-i', '{interval}', '-t', '{timeout}'], {
      file_sd: '/r/file_sd.json', http_sd: 'http://h/sd', port: '9', dir: '/r', interval: '5s', timeout: '4s', write_url: 'w',
    });
    assert.deepEqual(argv, ['s', '--sd', '/r/file_sd.json', '--http', 'http://h/sd', '-p', '9', '-d', '/r', '-i', '5s', '-t', '4s']);
    assert.deepEqual(parseEnv(['GOGC=50', 'GODEBUG=gctrace=1,madvdontneed=1', 'EMPTY=']), { GOGC: '50', GODEBUG: 'gctrace=1,madvdontneed=1', EMPTY: '' });
    assert.throws(() => parseEnv(['GOGC']), usage(/--env "GOGC": expected NAME=value/));
    assert.throws(() => parseEnv(['1X=2']), usage(/expected NAME=value/));
  });

  it('writes a scrape config over the fleet\'s file_sd at the profile\'s interval and timeout', () => {
    const y = scrapeConfig({ fileSd: '/runs/x/file_sd.json', intervalSeconds: 5, timeoutSeconds: 4 });
    assert.match(y, /scrape_interval: 5s\n/);
    assert.match(y, /scrape_timeout: 4s\n/);
    assert.match(y, /files: \["\/runs\/x\/file_sd.json"\]/);
    assert.match(scrapeConfig({ fileSd: 'f', intervalSeconds: 0.5, timeoutSeconds: 10 }), /scrape_interval: 500ms\n  scrape_timeout: 500ms/);
  });
});

describe('--target: checked before anything starts', () => {
  it('refuses the engine\'s own flags with another target, and target flags without one', () => {
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'x', fleet: 'http://127.0.0.1:1', ingester: 'naive' }), usage(/--ingester applies to --target builtin only \(the target is url\)/));
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'x', fleet: 'http://127.0.0.1:1', v8Flags: ['--x'] }), usage(/--v8-flags applies to --target builtin only/));
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'x', fleet: 'http://127.0.0.1:1', heap: { allocProfile: true } }), usage(/--alloc-profile applies/));
    assert.throws(() => planTarget({ pid: 1 }), usage(/--pid applies to --target url only/));
    assert.throws(() => planTarget({ targetSamples: 'x' }), usage(/--target-samples applies/));
  });

  it('needs what an exec: or url: target cannot tell by itself', () => {
    assert.throws(() => planTarget({ target: 'exec:s {port}' }), usage(/needs --target-metrics/));
    assert.throws(() => planTarget({ target: 'exec:s {port}', targetMetrics: 'http://127.0.0.1:{port}/metrics' }), usage(/needs --target-samples/));
    assert.throws(() => planTarget({ target: 'exec:s {port}', targetMetrics: '::nope', targetSamples: 'x' }), usage(/is not a URL/));
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics' }), usage(/needs --target-samples/));
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'x' }), usage(/needs --fleet <url>/));
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'a{b=', fleet: 'http://127.0.0.1:1' }), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2);
    assert.throws(() => planTarget({ target: 'url:http://127.0.0.1:1/metrics', targetSamples: 'x', fleet: 'http://127.0.0.1:1', pid: 2 ** 22 + 7 }), usage(/no such process/));
  });

  it('a missing binary is one line, exit 1', () => {
    assert.throws(
      () => planTarget({ target: 'prometheus:/nonexistent/prometheus' }),
      (e: unknown) => e instanceof PromsoakError && e.exitCode === 1 && /--target prometheus: "\/nonexistent\/prometheus" is not installed/.test(e.message),
    );
  });

  it('names the installed binary and its version', (t) => {
    if (!which('prometheus')) return t.skip('Debian prometheus not installed');
    const p = planTarget({ target: 'prometheus', env: ['GOGC=50'] });
    assert.match(p.binary!, /\/prometheus$/);
    assert.match(p.version!, /prometheus, version 2\./);
    const info = p.info(undefined, []);
    assert.equal(info.kind, 'prometheus');
    assert.deepEqual(info.env, { GOGC: '50' });
  });
});
