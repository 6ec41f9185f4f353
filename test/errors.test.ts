import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODE_OF, fileError, isErrorCode, ParseError, PromsoakError, ScrapeError } from '../src/common/errors.js';
import { nonNegativeInt, positiveInt, positiveInts, positiveNumber } from '../src/common/options.js';
import { runCli } from './helpers/tools.js';

describe('errors: one code per condition, the exit code derived from it', () => {
  it('maps every code to 2 (bad input) or 1 (a failure doing the work)', () => {
    for (const [code, exit] of Object.entries(EXIT_CODE_OF)) {
      assert.ok(exit === 1 || exit === 2, code);
      assert.match(code, /^PROMSOAK_[A-Z_]+$/);
      assert.equal(new PromsoakError(code as keyof typeof EXIT_CODE_OF, 'x').exitCode, exit);
    }
    assert.equal(new ParseError(1, 2, 'a', 'b').exitCode, 1);
    assert.equal(new ScrapeError('x').code, 'PROMSOAK_SCRAPE');
  });

  it('trusts a code that crossed IPC only when this version knows it', () => {
    assert.equal(isErrorCode('PROMSOAK_TARGETS_INVALID'), true);
    assert.equal(isErrorCode('PROMSOAK_NO_SUCH_THING'), false);
    assert.equal(isErrorCode('toString'), false);
    assert.equal(isErrorCode(undefined), false);
    assert.equal(isErrorCode(2), false);
  });

  it('names a file that cannot be read: missing, a directory, anything else', () => {
    assert.equal(fileError('/x', Object.assign(new Error('e'), { code: 'ENOENT' })).code, 'PROMSOAK_FILE_NOT_FOUND');
    assert.match(fileError('/x', Object.assign(new Error('e'), { code: 'EISDIR' })).message, /^\/x: a directory, not a file$/);
    assert.equal(fileError('/x', new Error('EACCES')).exitCode, 2);
  });

  it('CLI: a module ingester that is not there is bad input (exit 2, one line with the path), not a crash', () => {
    const r = runCli(['run', 'smoke', '--duration', '2', '--warmup', '0', '--ingester', 'module:/no/such/ingester.js', '--out', mkdtempSync(join(tmpdir(), 'promsoak-err-'))]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: ingester module \/no\/such\/ingester\.js not found/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('CLI: heap summary of a directory or a missing file is one line, exit 2', () => {
    for (const p of [tmpdir(), '/no/such.heapsnapshot']) {
      const r = runCli(['heap', 'summary', p]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^promsoak: .*(a directory, not a file|no such file)\n$/);
    }
  });
});

describe('options: one check per kind, naming the option', () => {
  it('passes what is not given and what is right, refuses the rest with the option and the value', () => {
    assert.equal(positiveInt('--x', undefined), undefined);
    assert.equal(positiveInt('--x', 3), 3);
    assert.throws(() => positiveInt('--x', 0), /^PromsoakError: --x must be a positive integer \(got 0\)$/);
    assert.throws(() => positiveInt('--x', 1.5), /--x must be a positive integer \(got 1.5\)/);
    assert.throws(() => positiveInt('--x', 9, 8), /--x must be an integer in 1..8 \(got 9\)/);
    assert.equal(nonNegativeInt('--y', 0), 0);
    assert.throws(() => nonNegativeInt('--y', -1), /--y must be a non-negative integer \(got -1\)/);
    assert.throws(() => positiveNumber('--z', Number.NaN), /--z must be a positive number \(got NaN\)/);
    assert.deepEqual(positiveInts('--l', [1, 2], 5), [1, 2]);
    assert.throws(() => positiveInts('--l', [], 5), /comma-separated list/);
    assert.throws(() => positiveInts('--l', [6], 5), /--l must hold integers in 1..5 \(got 6\)/);
    try {
      positiveInt('--x', -1);
    } catch (e) {
      assert.equal((e as PromsoakError).code, 'PROMSOAK_USAGE');
      assert.equal((e as PromsoakError).exitCode, 2);
    }
  });
});

describe('scrape failure reasons', () => {
  it('names every failure the client, the parser and the ingester raise', async () => {
    const { failureReason } = await import('../src/engine/failure-reason.js');
    const { SampleLimitError } = await import('../src/common/errors.js');
    const cases: [Error, string][] = [
      [new ScrapeError('scrape timed out after 1s'), 'timeout'],
      [new ScrapeError('server returned HTTP status 503 Service Unavailable'), 'http_status'],
      [new ScrapeError('body size limit exceeded: more than 10 bytes'), 'body_limit'],
      [new ScrapeError('connect: connection refused'), 'connection'],
      [new ScrapeError('read: connection reset by peer'), 'connection'],
      [new ScrapeError('malformed HTTP response: bad status line'), 'bad_response'],
      [new ScrapeError('the body is Content-Encoding gzip, though identity was asked'), 'bad_response'],
      [new ParseError(3, 4, 'value', 'x'), 'parse'],
      [new SampleLimitError(10), 'sample_limit'],
      [new Error("the ingester's ingest() returned NaN, not a sample count"), 'ingester'],
    ];
    for (const [e, want] of cases) assert.equal(failureReason(e), want, e.message);
  });
});
