import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from '../../src/protocol/frame.js';
import { summarize } from '../../src/analysis/summarize.js';
import { frame, meta, T0 } from './frames.js';
import { prng } from '../fixtures/parse-helpers.js';

/**
 * A synthetic run directory as a soak writes one (profile.json, frames.ndjson, gc.ndjson,
 * summary.json from the frames by the real summarize()), for the tests of what reads run
 * directories: a steady soak of `seconds` measured seconds after 2 of warm-up, each second's
 * figures with a few % of seeded noise, `cpuScale` on its CPU.
 */
export interface SyntheticRun {
  seconds?: number;
  seed?: number;
  cpuScale?: number;
  /** A level the whole run's CPU is off by, drawn within ± this % (runs differ from one another by more than their seconds do). */
  runLevelPct?: number;
  profile?: Record<string, unknown>;
  /** When the run started (default T0): runs at the same time are cut on one grid and pair. */
  atMs?: number;
  /** A load on the machine that every run at the same time saw: each second's CPU × (1 + this × a slow wave of the second's wall clock). */
  machineWavePct?: number;
  /** Changes to summary.json (e.g. a load that differs). */
  summary?: (s: Record<string, any>) => void;
}

export const SYNTHETIC_PROFILE = { name: 'synthetic', exporters: 100, intervalSeconds: 1, families: [{ type: 'gauge', name: 'x', series: 100 }], source: 'shipped' };

export function syntheticRunDir(dir: string, o: SyntheticRun = {}): string {
  const seconds = o.seconds ?? 120;
  const rnd = prng(o.seed ?? 1);
  const noise = (pct: number): number => 1 + ((rnd() * 2 - 1) * pct) / 100;
  const level = noise(o.runLevelPct ?? 0);
  const frames: Frame[] = Array.from({ length: seconds + 2 }, (_, i) => {
    const f = frame(i, Math.round(10_000 * noise(3)));
    const shift = (o.atMs ?? T0) - T0;
    f.startMs += shift;
    f.endMs += shift;
    const wave = 1 + ((o.machineWavePct ?? 0) / 100) * Math.sin(f.startMs / 17_000);
    f.cpu = { ...f.cpu, total: 0.5 * level * wave * (o.cpuScale ?? 1) * noise(5) };
    f.heap = { ...f.heap, rssBytes: Math.round(100e6 * noise(1)) };
    f.gcObserved = { count: 1, pauseMs: 2 * noise(20), byKind: { scavenge: { count: 1, pauseMs: 2 } } };
    return f;
  });
  mkdirSync(dir, { recursive: true });
  const s = summarize(frames, [], { ...meta, windowStartMs: (o.atMs ?? T0) + 2000, windowEndMs: (o.atMs ?? T0) + (seconds + 2) * 1000, files: ['frames.ndjson', 'summary.json'] }) as unknown as Record<string, any>;
  o.summary?.(s);
  writeFileSync(join(dir, 'profile.json'), JSON.stringify(o.profile ?? SYNTHETIC_PROFILE, null, 2));
  writeFileSync(join(dir, 'frames.ndjson'), frames.map((f) => JSON.stringify(f)).join('\n') + '\n');
  writeFileSync(join(dir, 'gc.ndjson'), '');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s, null, 2));
  return dir;
}
