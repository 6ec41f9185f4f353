import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines, Request } from '../src/engine/request.js';

describe('Deadlines', () => {
  it('times out the requests still in flight at their deadline, each once, and none that finished', async () => {
    const d = new Deadlines(60);
    const dequeued: number[] = [];
    const results = new Map<number, string>();
    const make = (tag: number): Request =>
      new Request({ dequeue: () => dequeued.push(tag) }, '/m', Buffer.alloc(0), d, (err, _b, _ct, t) => results.set(t, err === null ? 'ok' : err.message), tag);
    const reqs = [0, 1, 2, 3].map(make);
    reqs[1]!.finish(null, new Uint8Array(0), ''); // out of order: the list's middle
    reqs[0]!.finish(null, new Uint8Array(0), ''); // its head
    await new Promise((r) => setTimeout(r, 30));
    const late = make(4); // its own deadline, 30 ms after theirs
    await new Promise((r) => setTimeout(r, 170));
    const timedOut = 'scrape timed out after 0.06s';
    assert.deepEqual([...results].filter(([t]) => t < 4).sort(), [[0, 'ok'], [1, 'ok'], [2, timedOut], [3, timedOut]]);
    assert.deepEqual(dequeued.slice(0, 2), [2, 3], 'a request on no connection leaves its pool queue');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(results.get(4), timedOut);
    late.finish(null, new Uint8Array(0), '');
    assert.equal(results.get(4), timedOut, 'called once');
    d.stop();
  });
});
