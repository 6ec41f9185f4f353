import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromsoakError } from '../src/common/errors.js';
import { insideRoot } from '../src/common/safe-path.js';
import { makeUniqueDir, UNIQUE_DIR_TRIES } from '../src/common/out-dir.js';
import { RunDir } from '../src/run/run-dir.js';
import { makeCompareDir } from '../src/compare/compare.js';
import { connectFleet } from '../src/run/remote-fleet.js';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { wireDigest, wireProfile } from '../src/profile/digest.js';
import { ROOT, runCli } from './helpers/tools.js';

const tmp = (what: string): string => mkdtempSync(join(tmpdir(), `promsoak-hardening-${what}-`));
/** Control characters a terminal acts on (C0 but LF, DEL, C1). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('profile names: a safe set of characters, at most 64, checked by the schema', () => {
  const bad: [string, string][] = [
    ['traversal', 'x/../../escaped'],
    ['slash', 'a/b'],
    ['300 characters', 'a'.repeat(300)],
    ['ESC', 'evil\x1b[2J'],
    ['newline', 'a\nFORGED'],
    ['leading dot', '..'],
    ['leading dash', '-rf'],
  ];
  for (const [what, name] of bad) {
    it(`${what}: run and compare say one line naming profile.name, exit 2, and create nothing`, () => {
      const dir = tmp('name');
      const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'smoke.json'), 'utf8'));
      p.name = name;
      const file = join(dir, 'p.json');
      writeFileSync(file, JSON.stringify(p));
      const out = join(dir, 'a', 'b', 'out');
      for (const cmd of ['run', 'compare']) {
        const r = runCli([cmd, file, '--duration', '1', '--warmup', '0', '--out', out]);
        assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
        assert.equal(r.stderr.split('\n').length, 2, r.stderr);
        assert.match(r.stderr, /^promsoak: \S+\/p\.json: profile\.name must (be letters, digits|be at most 64 characters)/);
        assert.doesNotMatch(r.stderr, CONTROL);
      }
      assert.deepEqual(readdirSync(dir).sort(), ['p.json'], 'nothing created beside or above --out');
    });
  }

  it('a file without a "name" is named by the file, held to the same rule; good names pass', () => {
    const dir = tmp('basename');
    const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'smoke.json'), 'utf8'));
    delete p.name;
    writeFileSync(join(dir, 'my profile.json'), JSON.stringify(p));
    assert.throws(() => loadProfile(join(dir, 'my profile.json')), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2 && /profile\.name is absent and the file's name "my profile" must be letters/.test(e.message));
    writeFileSync(join(dir, 'ok_1.2-x.json'), JSON.stringify(p));
    assert.equal(loadProfile(join(dir, 'ok_1.2-x.json')).name, 'ok_1.2-x');
    writeFileSync(join(dir, 'q.json'), JSON.stringify({ ...p, name: 'A'.repeat(64) }));
    assert.equal(loadProfile(join(dir, 'q.json')).name, 'A'.repeat(64));
  });
});

describe('directories made of names stay inside their root', () => {
  it('insideRoot: the name joined under the root, or an error', () => {
    assert.equal(insideRoot('/r/out', 'a-b'), '/r/out/a-b');
    assert.equal(insideRoot('/r/out/', 'x/y'), '/r/out/x/y');
    for (const name of ['x/../../escaped', '..', '../x', '', '.', '/etc', 'a/../..']) {
      assert.throws(() => insideRoot('/r/out', name), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2 && /would put a directory outside \/r\/out/.test(e.message), name);
    }
  });

  it('a RunDir or a compare directory named x/../../escaped is refused, and nothing is made outside --out', () => {
    const dir = tmp('escape');
    const out = join(dir, 'one', 'two');
    assert.throws(() => new RunDir(out, 'x/../../escaped'), /would put a directory outside/);
    assert.throws(() => makeCompareDir(out, 'x/../../escaped'), /would put a directory outside/);
    assert.deepEqual(readdirSync(dir), ['one']);
    assert.deepEqual(readdirSync(join(dir, 'one')), ['two']);
    assert.deepEqual(readdirSync(out), []);
  });
});

describe('run and compare directories are unique by one mkdir a try', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');

  it('12 processes creating a RunDir in the same second get 12 directories, none an error', { timeout: 60_000 }, async () => {
    const out = tmp('race');
    const runDir = join(ROOT, 'dist', 'src', 'run', 'run-dir.js');
    // Each waits for the same instant, then creates its run directory for the same second.
    const at = Date.now() + 1500;
    const script = `const { RunDir } = await import(${JSON.stringify(runDir)}); while (Date.now() < ${at}); console.log(new RunDir(${JSON.stringify(out)}, 'race', new Date(${now.getTime()})).path);`;
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          c.stdout.on('data', (d) => (stdout += d));
          c.stderr.on('data', (d) => (stderr += d));
          c.on('close', (code) => resolve({ code, stdout, stderr }));
        }),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const paths = results.map((r) => r.stdout.trim());
    assert.equal(new Set(paths).size, 12, paths.join('\n'));
    assert.equal(readdirSync(out).length, 12);
    assert.ok(readdirSync(out).includes('20260102T030405Z-race'));
    for (const p of paths) assert.ok(existsSync(join(p, 'frames.ndjson')), p);
  });

  it('a directory taken between a check and the mkdir (another process) is not an EEXIST: the next name is taken', () => {
    const out = tmp('taken');
    new RunDir(out, 'p', now);
    // What another process does between an existsSync and a mkdirSync: the check says free, the name is taken.
    const real = fs.existsSync;
    fs.existsSync = () => false;
    syncBuiltinESMExports();
    try {
      const second = new RunDir(out, 'p', now);
      assert.equal(second.path, join(out, '20260102T030405Z-p-2'));
    } finally {
      fs.existsSync = real;
      syncBuiltinESMExports();
    }
  });

  it('two compares in the same second get two directories', () => {
    const out = tmp('compare');
    const a = makeCompareDir(out, 'smoke', now);
    const b = makeCompareDir(out, 'smoke', now);
    assert.notEqual(a, b);
    assert.equal(a, join(out, '20260102T030405Z-compare-smoke'));
    assert.equal(b, join(out, '20260102T030405Z-compare-smoke-2'));
  });

  it(`after ${UNIQUE_DIR_TRIES} names taken: one line, exit 2`, () => {
    const out = tmp('full');
    mkdirSync(join(out, 'b'));
    for (let i = 2; i <= UNIQUE_DIR_TRIES; i++) mkdirSync(join(out, `b-${i}`));
    assert.throws(() => makeUniqueDir(out, 'b'), (e: unknown) => e instanceof PromsoakError && e.exitCode === 2 && /b and 999 numbered names after it exist already/.test(e.message));
  });
});

describe('run --fleet: the names a shard sends', () => {
  /** A fake shard: a real fleet's /stats with the profile's name and digest replaced, and the /profile given. */
  async function fakeShard(stats: object, wire: object): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(req.url === '/profile' ? wire : req.url === '/stats' ? stats : []));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
  }

  it('a /profile named x/../../escaped (or with ESC) is refused in one line naming the shard', { timeout: 30_000 }, async () => {
    const profile = loadProfile('smoke');
    const fleet = await startFleet({ profile, threads: 1, shard: { index: 0, count: 1 } });
    const servers: Server[] = [];
    try {
      for (const name of ['x/../../escaped', 'evil\x1b[2J', 'a'.repeat(300)]) {
        const wire = { ...wireProfile(profile), name };
        const stats = fleet.fleetStats();
        stats.profile = { ...stats.profile, name, digest: wireDigest(wire) };
        const s = await fakeShard(stats, wire);
        servers.push(s.server);
        await assert.rejects(connectFleet({ fleet: s.url }), (e: unknown) => {
          assert.ok(e instanceof PromsoakError && e.code === 'PROMSOAK_FLEET_MISMATCH', String(e));
          // A name over /stats' 200-character bound is refused there already, the others at /profile.
          assert.match(e.message, new RegExp(`^--fleet ${s.url}: (its /profile's name ".+ must be|not a promsoak fleet \\(its /stats: profile\\.name: Too big)`));
          assert.doesNotMatch(e.message, CONTROL);
          assert.ok(e.message.length < 300, e.message);
          return true;
        });
      }
    } finally {
      for (const s of servers) s.close();
      await fleet.close();
    }
  });
});
