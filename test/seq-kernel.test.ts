import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../scripts/build-wasm.js';
import { seqKernel, useSeqKernel } from '../src/engine/wasm/seq-kernel.js';

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
    k.ensure(before + 3 * 65536 + 1);
    assert.ok(k.memory.buffer.byteLength >= before + 3 * 65536 + 1);
    assert.equal(k.u8.length, k.memory.buffer.byteLength, 'views renewed after growing');
    assert.equal(k.f64[1], 10);
  });
});
