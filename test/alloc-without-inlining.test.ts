import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The hot paths allocate nothing per sample whether V8 inlines their calls or not. Which calls
 * TurboFan inlines depends on its budget and on when it compiled: CI once saw the receiver at
 * 19.6 B/sample where this machine saw 0.4 (head.append(ref, t, value) not inlined, its two
 * doubles boxed for the call). The allocation tests run again here with inlining off, in a
 * process of their own (V8 flags are per process).
 */
describe('allocation per sample with V8 inlining off (--no-turbo-inlining)', () => {
  for (const [file, what] of [
    ['engine-receiver-alloc.test.js', 'the remote-write receiver (snappy + decode + append)'],
    ['ingest-alloc.test.js', 'the scrape path (cached ingester)'],
  ] as const) {
    it(`${what}: its allocation test passes`, () => {
      // Without the runner's NODE_TEST_CONTEXT, the child reports in TAP, not to this runner.
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const args = ['--no-turbo-inlining', '--test-reporter=tap', fileURLToPath(new URL(file, import.meta.url))];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, env });
      const failed = r.stdout.split('\n').filter((l) => /^\s*(not ok|error:)/.test(l));
      assert.equal(r.status, 0, `${file} under --no-turbo-inlining: exit ${r.status}\n${failed.join('\n')}${r.stderr}`);
      assert.match(r.stdout, /# pass [1-9]/);
    });
  }
});
