import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitWords } from '../src/common/shell-words.js';
import { PromsoakError } from '../src/common/errors.js';
import { fillPlaceholders, parseTarget } from '../src/run/target-spec.js';
import { planTargetLaunch } from '../src/run/target-kinds.js';
import { planTarget } from '../src/run/target-plan.js';
import { CLI, ROOT } from './helpers/tools.js';

const usage = (re: RegExp) => (e: unknown): boolean => e instanceof PromsoakError && e.exitCode === 2 && re.test(e.message) && !e.message.includes('\n');

describe('exec: command lines are split into argv once, as sh splits words, with no expansion', () => {
  it('splits on blanks; quotes and backslashes join and keep characters', () => {
    assert.deepEqual(splitWords('  a  b\tc\nd  '), ['a', 'b', 'c', 'd']);
    assert.deepEqual(splitWords(`s 'one word' "two words" three\\ words`), ['s', 'one word', 'two words', 'three words']);
    assert.deepEqual(splitWords(`a'b'"c"d`), ['abcd']);
    assert.deepEqual(splitWords(`'' ""`), ['', ''], 'empty quotes are empty words');
    assert.deepEqual(splitWords(`'a\\b "c"'`), ['a\\b "c"'], 'nothing is special inside single quotes');
    assert.deepEqual(splitWords(`"a \\" b \\\\ c \\$d \\x"`), ['a " b \\ c $d \\x'], 'inside double quotes only \\ " $ ` newline are escaped');
    assert.deepEqual(splitWords(`a\\\nb`), ['ab'], 'backslash-newline joins');
    assert.deepEqual(splitWords(`--config={file_sd} -x={port}`), ['--config={file_sd}', '-x={port}']);
  });

  it('expands nothing: $(…), backquotes, $VAR, globs and ~ stay as written', () => {
    assert.deepEqual(splitWords('echo $(touch /tmp/x) `id` $HOME * ~/x "$(id)"'), ['echo', '$(touch', '/tmp/x)', '`id`', '$HOME', '*', '~/x', '$(id)']);
  });

  it('an unterminated quote, a trailing backslash or a shell operator is a usage error naming the column', () => {
    assert.throws(() => splitWords(`s 'abc`, '--target exec'), usage(/^--target exec: the ' quote opened at column 3 of the command line is never closed/));
    assert.throws(() => splitWords(`s "ab\\"`, '--target exec'), usage(/the " quote opened at column 3 .* never closed/));
    assert.throws(() => splitWords('s \\', '--target exec'), usage(/a backslash at column 3 ends the command line/));
    assert.throws(() => splitWords('s > log', '--target exec'), usage(/">" at column 3 of the command line is a shell operator/));
    assert.throws(() => splitWords('a; b'), usage(/";" at column 2/));
    assert.deepEqual(splitWords(`sh -c 'a | b; c > d' sh`), ['sh', '-c', 'a | b; c > d', 'sh'], 'quoted operators are text');
    assert.throws(() => parseTarget(`exec:scraper '{file_sd}`), usage(/--target exec: the ' quote opened at column 9/));
    assert.throws(() => parseTarget(`exec:'' {port}`), usage(/names no program/));
  });

  it('--target exec: keeps the unknown-placeholder error; a placeholder fills inside its word and is never re-split', async () => {
    assert.throws(() => parseTarget('exec:scraper {file_sd} {bogus}'), usage(/unknown placeholder \{bogus\} at column 19/));
    const t = parseTarget(`exec:scraper --config={file_sd} '{dir}/x y' {port}`);
    assert.equal(t.kind, 'exec');
    if (t.kind !== 'exec') return;
    assert.deepEqual(t.argv, ['scraper', '--config={file_sd}', '{dir}/x y', '{port}']);
    const dir = `/r/o$(touch /tmp/INJ) 'q" x`;
    const values = { file_sd: `${dir}/file_sd.json`, http_sd: 'h', port: '9', dir, interval: '1s', timeout: '1s', write_url: 'w' };
    assert.deepEqual(fillPlaceholders(t.argv, values), ['scraper', `--config=${dir}/file_sd.json`, `${dir}/x y`, '9']);
    // A value that looks like a placeholder is not read again.
    assert.deepEqual(fillPlaceholders(['{dir}'], { ...values, dir: '{port}' }), ['{port}']);
    // And what is launched is that argv itself: no /bin/sh in front of it.
    const launch = await planTargetLaunch(t, { dir, fileSd: values.file_sd, httpSd: 'h', intervalSeconds: 1, timeoutSeconds: 1, metricsTemplate: 'http://127.0.0.1:{port}/metrics', samples: 'x' });
    assert.equal(launch.argv![0], 'scraper');
    assert.equal(launch.argv![2], `${dir}/x y`);
    assert.equal(launch.argv!.length, 4);
  });
});

describe('exec: a program that is not there', () => {
  it('is one line before anything starts, exit 1', () => {
    const flags = { targetMetrics: 'http://127.0.0.1:{port}/metrics', targetSamples: 'x' };
    assert.throws(
      () => planTarget({ target: 'exec:no-such-scraper-here {port}', ...flags }),
      (e: unknown) => e instanceof PromsoakError && e.code === 'PROMSOAK_TARGET_START' && e.exitCode === 1 && /--target exec: "no-such-scraper-here" is not installed or not on PATH/.test(e.message),
    );
    assert.equal(planTarget({ target: `exec:${process.execPath} -e 1 {port}`, ...flags }).spec.kind, 'exec');
  });
});

test('run --target exec: an --out with $(…) and a space reaches the scraper as one argument, and runs nothing', { timeout: 90_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'promsoak-hardening-exec-'));
  const profile = JSON.parse(readFileSync(join(ROOT, 'profiles', 'smoke.json'), 'utf8'));
  Object.assign(profile, { name: 'exec-test', exporters: 4, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 });
  const profileFile = join(tmp, 'exec-test.json');
  writeFileSync(profileFile, JSON.stringify(profile));
  const inj = join(tmp, 'INJ');
  const out = join(tmp, `o$(touch ${inj}) x`);
  const scraper = join(ROOT, 'dist', 'test', 'fixtures', 'tiny-scraper.js');
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', profileFile, '--target', `exec:${process.execPath} ${scraper} {file_sd} {port} {interval} --record-argv={dir}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total', '--duration', '3', '--warmup', '1', '--out', out],
    { encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 80_000 },
  );
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(existsSync(inj), false, 'the $(touch …) in --out ran');
  const dirs = readdirSync(out);
  assert.equal(dirs.length, 1);
  const dir = join(out, dirs[0]!);
  const argv = JSON.parse(readFileSync(join(dir, 'tiny-argv.json'), 'utf8')) as string[];
  assert.deepEqual(argv, [join(dir, 'file_sd.json'), argv[1], '1s', `--record-argv=${dir}`]);
  assert.match(argv[1]!, /^\d+$/);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.deepEqual(s.run.target.flags, [scraper, ...argv], 'summary.json says the arguments as run');
  assert.ok(s.samplesPerSecond.mean > 0, 'the scraper read the file_sd under that directory and scraped');
});
