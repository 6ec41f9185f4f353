import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readRegularFile } from '../src/common/read-file.js';
import { decodePprof, PROFILE_MAX_BYTES } from '../src/heap/pprof.js';
import { REPLAY_MAX_BYTES } from '../src/profile/replay-file.js';
import { CLI } from './helpers/tools.js';

/**
 * Files named from outside (a profile's replayed capture, `parse <file>`, `profile top <file>`)
 * are regular files read within a bound: /dev/zero, a FIFO, a directory, a file too big or
 * one that inflates to gigabytes is one line, exit 2, at once.
 */

/** Runs the CLI without blocking (a FIFO read would hang a spawnSync); killed after 20 s. */
function cli(args: string[], cwd: string): Promise<{ status: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const c = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const killer = setTimeout(() => c.kill('SIGKILL'), 20_000);
  let stderr = '';
  c.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) =>
    c.on('exit', (status) => {
      clearTimeout(killer);
      r({ status, stderr, ms: Date.now() - t0 });
    }),
  );
}

const oneLine = (r: { stderr: string }): void => assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'promsoak-files-'));
}

/** A FIFO, a directory, and a sparse file past the replay bound, in `dir`. */
function hostileFiles(dir: string): Record<string, { path: string; why: RegExp }> {
  const fifo = join(dir, 'capture.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const sub = join(dir, 'a-dir');
  mkdirSync(sub);
  const big = join(dir, 'big.prom');
  writeFileSync(big, '');
  truncateSync(big, REPLAY_MAX_BYTES + 1);
  return {
    'dev-zero': { path: '/dev/zero', why: /^promsoak: \/dev\/zero: .*must be a regular file; it is a character device, not a file\n$/ },
    fifo: { path: fifo, why: /capture\.fifo: .*must be a regular file; it is a FIFO, not a file\n$/ },
    dir: { path: sub, why: /a-dir: .*must be a regular file; it is a directory, not a file\n$/ },
    big: { path: big, why: /big\.prom: 64\.0 MiB \(67108865 bytes\), over the limit of 64 MiB \(67108864 bytes\)/ },
  };
}

describe('replayed captures: a regular file within 64 MiB', () => {
  it('/dev/zero, a FIFO, a directory, a 64 MiB + 1 file: fleet and run refuse them in one line naming the file, exit 2, without blocking', async () => {
    const dir = scratch();
    for (const [name, f] of Object.entries(hostileFiles(dir))) {
      const profile = join(dir, `${name}.json`);
      writeFileSync(profile, JSON.stringify({ exporters: 1, families: [{ type: 'replay', file: f.path }] }));
      for (const cmd of [['fleet', profile, '--duration', '1', '--out', dir], ['run', profile, '--duration', '1', '--out', dir]]) {
        const r = await cli(cmd, dir);
        assert.equal(r.status, 2, `${cmd[0]} ${name}: ${r.stderr}`);
        assert.match(r.stderr, f.why, `${cmd[0]} ${name}`);
        assert.match(r.stderr, /a replay file/);
        oneLine(r);
        // Before: /dev/zero read 4.3 GB then bad_alloc (~19 s), a FIFO blocked forever.
        assert.ok(r.ms < 10_000, `${cmd[0]} ${name}: ${r.ms} ms`);
      }
    }
  });

  it('a file whose size lies (a /proc file says 0 bytes) is read only up to the bound', () => {
    // /proc/self/status is a regular file that fstat says is empty, yet holds ~1.5 KB: the read
    // itself is capped, not only the size fstat reports (as for a file that grows while read).
    assert.throws(
      () => readRegularFile('/proc/self/status', { maxBytes: 100, what: 'a test file' }),
      /^PromsoakError: \/proc\/self\/status: grew past 100 bytes while read, the limit for a test file$/,
    );
    const whole = readRegularFile('/proc/self/status', { maxBytes: 1 << 20, what: 'a test file' });
    assert.match(whole.toString('latin1'), /^Name:/);
    const dir = scratch();
    const f = join(dir, 'x.prom');
    writeFileSync(f, 'a 1\n'.repeat(50_000));
    assert.deepEqual(readRegularFile(f, { maxBytes: 200_000, what: 'a test file' }), readFileSync(f));
  });
});

describe('parse <file>: the same checks, --body-limit its bound', () => {
  it('/dev/zero, a FIFO and a directory: one line, exit 2, at once', async () => {
    const dir = scratch();
    const files = hostileFiles(dir);
    for (const name of ['dev-zero', 'fifo', 'dir'] as const) {
      const r = await cli(['parse', files[name].path], dir);
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, files[name].why);
      assert.match(r.stderr, /an exposition to parse/);
      oneLine(r);
      assert.ok(r.ms < 10_000, `${name}: ${r.ms} ms`);
    }
    const small = join(dir, 'small.prom');
    writeFileSync(small, 'x_total 1\n'.repeat(100));
    const r = await cli(['parse', small, '--body-limit', '100'], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /small\.prom: 1000 bytes, over the limit of 100 bytes for an exposition to parse \(--body-limit\)/);
  });
});

describe('the other files a command reads: a profile, a file_sd, a heap snapshot', () => {
  it('a FIFO in their place is one line naming it, exit 2, without blocking (before: each open or read blocked forever)', async () => {
    const dir = scratch();
    const fifo = join(dir, 'p.json');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    for (const [cmd, what] of [
      [['fleet', fifo, '--duration', '1', '--out', dir], /a profile must be a regular file/],
      [['engine', '--targets', fifo, '--duration', '1'], /a file_sd targets file must be a regular file/],
      [['heap', 'summary', fifo], /a heap snapshot must be a regular file/],
    ] as const) {
      const r = await cli([...cmd], dir);
      assert.equal(r.status, 2, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, /^promsoak: .*p\.json: .*; it is a FIFO, not a file\n$/);
      assert.match(r.stderr, what);
      oneLine(r);
      assert.ok(r.ms < 10_000, `${cmd[0]}: ${r.ms} ms`);
    }
  });
});

describe('profile top: a gzip that inflates past 64 MiB', () => {
  /** ~1 MB of gzip that inflates to 1 GiB of zeros: 64 gzip members of 16 MiB each, concatenated. */
  function bomb(dir: string): string {
    const member = gzipSync(Buffer.alloc(16 << 20));
    const path = join(dir, 'bomb.pb.gz');
    writeFileSync(path, Buffer.concat(Array<Buffer>(64).fill(member)));
    return path;
  }

  it('decodePprof stops inflating at the bound: this process holds well under the 1 GiB the bomb inflates to', () => {
    const path = bomb(scratch());
    const before = process.resourceUsage().maxRSS * 1024;
    assert.throws(() => decodePprof(readFileSync(path), path), /bomb\.pb\.gz: its gzip inflates to over 64 MiB \(67108864 bytes\), the limit of an allocation profile/);
    const grew = process.resourceUsage().maxRSS * 1024 - before;
    // Before: gunzipSync inflated all of it (1 GiB here; 4 GB RSS for the 8.7 MB bomb).
    assert.ok(grew < 4 * PROFILE_MAX_BYTES, `peak RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB`);
  });

  it('the CLI: one line naming the file and the limit, exit 2, in seconds', async () => {
    const dir = scratch();
    const path = bomb(dir);
    const r = await cli(['profile', 'top', path], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: .*bomb\.pb\.gz: its gzip inflates to over 64 MiB/);
    oneLine(r);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
  });
});
