import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/tools.js';
import { alive, lineCount, liveProcesses, runDir, startCli, tinyProfile, until } from './helpers/processes.js';
import type { Summary } from '../src/analysis/summary.js';

/** The processes promsoak starts (targets, what they start, the engine) do not outlive it, on any path (issue 23, findings 6 and 8). */

const FAMILY = join(ROOT, 'dist', 'test', 'fixtures', 'family-target.js');
const HANG = join(ROOT, 'dist', 'test', 'fixtures', 'hang-ingester.js');

/** `exec:` a family-target.js in `mode`, as an argv (no shell needed to read it). */
function familyArgs(profile: string, mode: string, duration: number): string[] {
  return ['run', profile, '--target', `exec:${process.execPath} ${FAMILY} ${mode} {port} {dir}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'family_samples_total', '--duration', String(duration), '--warmup', '1'];
}

function pidsOf(dir: string): [number, number] {
  const [a, b] = readFileSync(join(dir, 'family.pids'), 'utf8').trim().split(' ');
  return [Number(a), Number(b)];
}

test('kill -9 of the coordinator: the exec: target, the child it started, and the watchdog are gone within seconds', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-lifetime-'));
  const c = startCli(familyArgs(tinyProfile(out, 'lifetime'), 'forks', 60), join(out, 'runs'));
  try {
    // Soaking: two frames on disk.
    assert.ok(await until(() => lineCount(runDir(join(out, 'runs')), 'frames.ndjson') >= 2, 45_000), 'the soak did not start');
    const [target, grandchild] = pidsOf(runDir(join(out, 'runs'))!);
    const watchdog = liveProcesses().find((p) => p.ppid === c.pid && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('watchdog-main.js'));
    const family = (): number[] => liveProcesses().filter((p) => p.pid === target || p.pid === grandchild || p.pgrp === target).map((p) => p.pid);
    assert.deepEqual(family().sort(), [target, grandchild].sort());
    process.kill(c.pid, 'SIGKILL');
    await c.done;
    assert.ok(await until(() => family().length === 0, 6000), `still alive 6 s after kill -9: ${family().join(', ')}`);
    // The watchdog that did it ends with its job.
    assert.ok(watchdog, 'a watchdog ran beside the coordinator');
    assert.ok(await until(() => !alive(watchdog.pid), 3000), 'the watchdog outlived its job');
  } finally {
    const pids = pidsSafe(out);
    for (const p of liveProcesses()) if (pids.includes(p.pgrp) || pids.includes(p.pid)) process.kill(p.pid, 'SIGKILL');
  }
});

test('SIGTERM of the coordinator: the soak ends as interrupted (143) and the target\'s whole group, the child it started included, is gone', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-lifetime-'));
  const c = startCli(familyArgs(tinyProfile(out, 'lifetime'), 'forks', 60), join(out, 'runs'));
  try {
    assert.ok(await until(() => lineCount(runDir(join(out, 'runs')), 'frames.ndjson') >= 2, 45_000), 'the soak did not start');
    const [target, grandchild] = pidsOf(runDir(join(out, 'runs'))!);
    process.kill(c.pid, 'SIGTERM');
    const r = await c.done;
    assert.equal(r.code, 143, r.stderr);
    // Stopped before the coordinator exited: nothing of the group is left.
    const left = liveProcesses().filter((p) => p.pid === target || p.pid === grandchild || p.pgrp === target);
    assert.deepEqual(left, []);
  } finally {
    const pids = pidsSafe(out);
    for (const p of liveProcesses()) if (pids.includes(p.pgrp) || pids.includes(p.pid)) process.kill(p.pid, 'SIGKILL');
  }
});

test('kill -9 of the coordinator while the engine is blocked in its ingester: the engine is killed too', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-lifetime-'));
  const c = startCli(['run', 'smoke', '--duration', '60', '--warmup', '1', '--ingester', `module:${HANG}`], join(out, 'runs'));
  let engine: number | undefined;
  try {
    // run.json: the engine is scraping; its first scrape blocks it for two minutes.
    assert.ok(await until(() => existsSync(join(runDir(join(out, 'runs')) ?? '/nonexistent', 'run.json')), 45_000), 'the engine did not start');
    engine = liveProcesses().find((p) => p.ppid === c.pid && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('engine/main.js'))?.pid;
    assert.ok(engine, 'the engine child runs');
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(c.pid, 'SIGKILL');
    await c.done;
    assert.ok(await until(() => !alive(engine!), 6000), 'the engine outlived its coordinator by 6 s');
  } finally {
    if (engine && alive(engine)) process.kill(engine, 'SIGKILL');
  }
});

test('a target whose child holds its stdout open after it exits: the soak ends within the pipe grace, not never', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-lifetime-'));
  const c = startCli(familyArgs(tinyProfile(out, 'lifetime'), 'holds', 4), join(out, 'runs'), 80_000);
  let holder: number | undefined;
  try {
    assert.ok(await until(() => lineCount(runDir(join(out, 'runs')), 'frames.ndjson') >= 1, 45_000), 'the soak did not start');
    holder = pidsOf(runDir(join(out, 'runs'))!)[1];
    const r = await c.done;
    assert.equal(r.signal, null, `the coordinator hung at the end (killed after ${r.ms} ms); stderr: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    // 1 s warm-up + 4 s + the start, then at most the 5 s grace: not the 80 s of the kill.
    assert.ok(r.ms < 45_000, `took ${r.ms} ms`);
    const s = JSON.parse(readFileSync(join(runDir(join(out, 'runs'))!, 'summary.json'), 'utf8')) as Summary;
    assert.equal(s.run.stopReason, 'completed');
  } finally {
    if (holder && alive(holder)) process.kill(holder, 'SIGKILL');
  }
});

/** The pids a family target wrote, for the cleanup of a failed test. */
function pidsSafe(out: string): number[] {
  try {
    return pidsOf(runDir(join(out, 'runs'))!);
  } catch {
    return [];
  }
}
