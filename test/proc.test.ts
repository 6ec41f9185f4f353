import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyThread, cpuBetween, readProc, type ProcSample } from '../src/telemetry/proc.js';

const linux = process.platform === 'linux';

/** A node child whose one worker thread spins; it prints the worker's tid once the spinning starts. */
const BURNER = `
const { Worker } = require('node:worker_threads');
const w = new Worker(\`
  const { readlinkSync } = require('node:fs');
  const { parentPort } = require('node:worker_threads');
  parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
  for (;;) {}
\`, { eval: true });
w.on('message', (tid) => console.log('worker ' + tid));
setInterval(() => {}, 1000);
`;

async function startBurner(): Promise<{ child: ChildProcess; workerTid: number }> {
  const child = spawn(process.execPath, ['-e', BURNER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const m = /worker (\d+)/.exec(line.toString());
  assert.ok(m, line.toString());
  return { child, workerTid: Number(m[1]) };
}

test('a node child spinning on one worker thread: the worker class gets the CPU', { skip: !linux && 'Linux /proc only' }, async () => {
  const { child, workerTid } = await startBurner();
  try {
    const pid = child.pid!;
    await sleep(200);
    const a = readProc(pid)!;
    await sleep(1000);
    const b = readProc(pid)!;
    assert.ok(a && b);
    assert.ok(b.threads.some((t) => t.tid === pid), 'the main thread is listed');
    const worker = b.threads.find((t) => t.tid === workerTid);
    assert.ok(worker, `tid ${workerTid} among ${b.threads.map((t) => t.tid).join(' ')}`);
    assert.ok(b.rssBytes > 10 * 2 ** 20, `rss ${b.rssBytes}`);
    const hints = { workerTids: new Set([workerTid]) };
    const cpu = cpuBetween(a, b, hints);
    // A spinning thread uses a whole core when it gets one; the 2 cores here are shared with
    // other work, so only "most of a core" is asked, and that the worker outweighs the rest.
    assert.ok(cpu.byClass.worker > 0.4, JSON.stringify(cpu));
    assert.ok(cpu.byClass.worker > 3 * (cpu.byClass.main + cpu.byClass.v8Platform + cpu.byClass.other), JSON.stringify(cpu));
    assert.ok(cpu.user > cpu.system, JSON.stringify(cpu));
    assert.ok(Math.abs(cpu.total - (cpu.user + cpu.system)) < 1e-9);
    assert.ok(cpu.total >= cpu.byClass.worker - 0.05, 'the process total holds its threads');
    assert.equal(cpu.threads, b.threads.length);
    // Without the hint, the class comes from the name alone: Node 20 names no thread ("node"),
    // Node ≥ 22 names a worker "WorkerThread".
    const bare = cpuBetween(a, b);
    const byName = classifyThread(worker.name, workerTid, pid);
    assert.equal(byName, worker.name.startsWith('WorkerThread') ? 'worker' : 'other');
    assert.ok(bare.byClass[byName] >= cpu.byClass.worker - 1e-9);
  } finally {
    child.kill();
  }
});

test('a process that has exited reads as null, a zombie too, never a throw', { skip: !linux && 'Linux /proc only' }, async () => {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await once(child, 'exit');
  await sleep(50);
  assert.equal(readProc(pid), null);
  // sh runs a short sleep in the background, then becomes a long sleep that never waits for it:
  // the short one exits and stays a zombie until the long one ends.
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [out] = (await once(parent.stdout!, 'data')) as [Buffer];
    const zombie = Number(out.toString().trim());
    await sleep(400);
    assert.equal(readProc(zombie), null, `pid ${zombie} is a zombie`);
    assert.ok(readProc(parent.pid!), 'its parent still runs');
  } finally {
    parent.kill();
  }
  assert.equal(readProc(2 ** 22 + 1), null, 'above any pid_max');
});

test('this process reads as itself: the main thread, RSS near process.memoryUsage()', { skip: !linux && 'Linux /proc only' }, () => {
  const rss0 = process.memoryUsage.rss();
  const s = readProc(process.pid)!;
  const rss1 = process.memoryUsage.rss();
  assert.ok(s);
  assert.equal(s.pid, process.pid);
  assert.ok(s.rssBytes > 0.8 * Math.min(rss0, rss1) && s.rssBytes < 1.2 * Math.max(rss0, rss1), `${s.rssBytes} vs ${rss0}…${rss1}`);
  const main = s.threads.find((t) => t.tid === process.pid);
  assert.ok(main && main.userSeconds > 0);
  assert.equal(classifyThread(main.name, main.tid, s.pid), 'main');
  assert.ok(s.userSeconds >= main.userSeconds);
});

test('classifyThread: names where runtimes give them, hints where they do not', () => {
  assert.equal(classifyThread('node', 100, 100), 'main');
  assert.equal(classifyThread('renamed title', 100, 100), 'main');
  assert.equal(classifyThread('V8Worker', 101, 100), 'v8Platform');
  assert.equal(classifyThread('V8 DefaultWorke', 101, 100), 'v8Platform');
  assert.equal(classifyThread('V8 Worker', 101, 100), 'v8Platform');
  assert.equal(classifyThread('WorkerThread', 102, 100), 'worker');
  assert.equal(classifyThread('libuv-worker', 103, 100), 'other');
  assert.equal(classifyThread('prometheus', 104, 100), 'other', 'Go: every thread has the program name');
  assert.equal(classifyThread('node', 105, 100), 'other');
  assert.equal(classifyThread('node', 105, 100, { workerTids: new Set([105]) }), 'worker');
  assert.equal(classifyThread('node', 106, 100, { platformTids: new Set([106]) }), 'v8Platform');
});

test('cpuBetween: cores per class, threads born and ended between samples', () => {
  const thread = (tid: number, name: string, user: number, system: number) => ({ tid, name, userSeconds: user, systemSeconds: system });
  const a: ProcSample = {
    pid: 10, atMs: 1_000, startTicks: 5, userSeconds: 10, systemSeconds: 2, rssBytes: 1,
    threads: [thread(10, 'node', 6, 1), thread(11, 'V8Worker', 1, 0.5), thread(12, 'node', 2, 0.5), thread(13, 'libuv-worker', 1, 0)],
  };
  // 2 s later: main +1 s, the platform thread +0.5 s, tid 12 (a worker by hint) +2 s,
  // tid 13 ended after using 0.25 s more, tid 14 was born and used 0.5 s.
  const b: ProcSample = {
    pid: 10, atMs: 3_000, startTicks: 5, userSeconds: 13.5, systemSeconds: 2.75, rssBytes: 2,
    threads: [thread(10, 'node', 7, 1), thread(11, 'V8Worker', 1.25, 0.75), thread(12, 'node', 3.5, 1), thread(14, 'libuv-worker', 0.5, 0)],
  };
  const c = cpuBetween(a, b, { workerTids: new Set([12]) });
  assert.deepEqual(c.byClass, { main: 0.5, v8Platform: 0.25, worker: 1, other: 0.25 });
  assert.equal(c.user, 1.75);
  assert.equal(c.system, 0.375);
  assert.equal(c.total, 2.125);
  assert.equal(c.unattributed, 0.125, 'the ended thread’s 0.25 s over 2 s');
  assert.equal(c.threads, 4);
  assert.throws(() => cpuBetween(a, { ...b, startTicks: 6 }), /two processes/);
  assert.throws(() => cpuBetween(b, a), /not later/);
});
