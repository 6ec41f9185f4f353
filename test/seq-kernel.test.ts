import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../scripts/build-wasm.js';
import { seqKernel, useSeqKernel } from '../src/engine/wasm/seq-kernel.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the WebAssembly sequence kernel', () => {
  it('its generated module is the assembly of its .wat source (run npm run build:wasm after editing it)', async () => {
    const text = await assemble('src/engine/wasm/seq-kernel.wat', 'SEQ_KERNEL_WASM');
    assert.equal(readFileSync(root + 'src/engine/wasm/seq-kernel.wasm.ts', 'utf8'), text);
  });

  it('loads on this Node (WebAssembly SIMD), and useSeqKernel(false) turns it off', () => {
    useSeqKernel(true);
    const k = seqKernel();
    assert.ok(k, 'the kernel should load on Node >= 20');
    assert.equal(k.f64[22], 1e22, 'POW10 is in place');
    useSeqKernel(false);
    assert.equal(seqKernel(), null);
    useSeqKernel(true);
    assert.equal(seqKernel(), k);
  });

  it('grows its memory for a large body and keeps its tables', () => {
    const k = seqKernel()!;
    const before = k.memory.buffer.byteLength;
    assert.equal(k.ensure(before + 3 * 65536 + 1), true);
    assert.ok(k.memory.buffer.byteLength >= before + 3 * 65536 + 1);
    assert.equal(k.u8.length, k.memory.buffer.byteLength, 'views renewed after growing');
    assert.equal(k.f64[1], 10);
    assert.equal(k.ensure(2 ** 33), false, 'past what a 32-bit memory can address: no, without throwing');
  });

  it('a scrape whose data the kernel cannot hold is matched in JavaScript, with the same result', () => {
    const k = seqKernel()!;
    const ensure = k.ensure;
    const body = new TextEncoder().encode('# a\nm{a="1"} 1\nm{a="2"} 2\nup 1\n');
    const ing = new CachedIngester({ headWindow: 4, sampleLimit: 0 });
    ing.ingest(body, 't', 0, 'text/plain');
    try {
      k.ensure = () => false;
      assert.equal(ing.ingest(body, 't', 1000, 'text/plain'), 3);
      assert.equal(ing.ingest(body, 't', 2000, 'text/plain'), 3);
    } finally {
      k.ensure = ensure;
    }
    assert.equal(ing.ingest(body, 't', 3000, 'text/plain'), 3);
    const t = new Float64Array(4);
    const v = new Float64Array(4);
    for (const ref of ing.head.refs()) assert.equal(ing.head.read(ref, t, v), 4);
    assert.equal(ing.last.seriesAdded, 0);
  });
});
