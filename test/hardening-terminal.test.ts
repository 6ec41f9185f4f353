import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { PromsoakError } from '../src/common/errors.js';
import { visible } from '../src/common/terminal-text.js';
import { connectFleet } from '../src/run/remote-fleet.js';
import { startFleet } from '../src/fleet/fleet.js';
import { loadProfile } from '../src/profile/load.js';
import { summarize } from '../src/analysis/summarize.js';
import { renderTerminal } from '../src/report/terminal.js';
import { runCli } from './helpers/tools.js';
import { frame, meta } from './helpers/frames.js';

/** Control characters a terminal acts on (C0 but LF, DEL, C1). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('names printed on a terminal have their control characters escaped', () => {
  it('visible(): ESC, CR, LF, DEL and C1 become escapes; the rest stays', () => {
    assert.equal(visible('evil\x1b[2J\nFORGED\r\x7f\x9b\x00 ok é ✓'), 'evil\\x1b[2J\\nFORGED\\r\\x7f\\x9b\\x00 ok é ✓');
    assert.equal(visible('a\nb\x1b', { keepNewlines: true }), 'a\nb\\x1b');
  });

  it('the terminal summary of a run whose profile and target carry escapes prints them visibly, no line forged', () => {
    const s = summarize(Array.from({ length: 6 }, (_, i) => frame(i, 10000)), [], { ...meta, profile: 'evil\x1b[2J\nFORGED LINE', ingester: 'exec:\x1b]0;title\x07' });
    const text = renderTerminal(s, '/runs/x');
    assert.doesNotMatch(text, CONTROL);
    assert.ok(!text.split('\n').some((l) => l.startsWith('FORGED')), text);
    assert.match(text.split('\n')[0]!, /^promsoak run: evil\\x1b\[2J\\nFORGED LINE, /);
  });

  it('an error message with escapes in it is printed with them escaped (the CLI)', () => {
    const r = runCli(['run', '--target', 'evil\x1b[2J\x1b]0;title\x07']);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, 'promsoak: --target "evil\\x1b[2J\\x1b]0;title\\x07": one of builtin, prometheus[:<binary>], victoria-metrics[:<binary>], influxdb[:<influxd binary>] (with --push), exec:<command>, url:<metrics url>\n');
  });
});

describe('run --fleet: what a shard says is printed escaped', () => {
  it('two shards whose /stats disagree: their profile names are in the one-line error, escaped', { timeout: 30_000 }, async () => {
    const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, shard: { index: 0, count: 1 } });
    const servers: Server[] = [];
    const fakeShard = async (stats: object): Promise<{ url: string; server: Server }> => {
      const server = createServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(req.url === '/stats' ? stats : []));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
    };
    try {
      // Two shards whose /stats disagree: their names are in the message, escaped.
      const evil = fleet.fleetStats();
      evil.profile = { ...evil.profile, name: 'evil\x1b[2J\nFORGED', digest: 'sha256:' + '0'.repeat(64) };
      const [a, b] = await Promise.all([fakeShard(fleet.fleetStats()), fakeShard(evil)]);
      servers.push(a.server, b.server);
      await assert.rejects(connectFleet({ fleet: `${a.url},${b.url}` }), (e: unknown) => {
        assert.ok(e instanceof PromsoakError && e.code === 'PROMSOAK_FLEET_MISMATCH', String(e));
        assert.match(e.message, /serves profile evil\\x1b\[2J\\nFORGED \(/);
        assert.doesNotMatch(e.message, CONTROL);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    } finally {
      for (const s of servers) s.close();
      await fleet.close();
    }
  });
});
