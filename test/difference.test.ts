import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedDifference, repeatsToResolve, t975, unpairedDifference } from '../src/analysis/difference.js';

test('t975 is Student\'s t at 97.5 % and falls to the normal\'s 1.96', () => {
  assert.equal(t975(1), 12.706);
  assert.equal(t975(4), 2.776);
  assert.equal(t975(30), 2.042);
  assert.ok(t975(45) < 2.042 && t975(45) > 2.0);
  assert.equal(t975(1000), 1.96);
  assert.ok(Number.isNaN(t975(0)));
});

test('paired: the same values twice read no difference; a steady +30 % reads worse when lower is better', () => {
  const a = [10, 11, 9.5, 10.4, 10.1];
  const same = pairedDifference(a, a, true);
  assert.equal(same.pct, 0);
  assert.equal(same.word, 'no difference detectable');
  const worse = pairedDifference(a, a.map((v, i) => v * (1.3 + (i % 2 ? 0.01 : -0.01))), true);
  assert.ok(Math.abs(worse.pct - 30) < 1, `pct ${worse.pct}`);
  assert.ok(worse.lowPct > 25 && worse.highPct < 35, `${worse.lowPct}..${worse.highPct}`);
  assert.equal(worse.word, 'worse');
  // The same rise where higher is better (samples/s) is better.
  assert.equal(pairedDifference(a, a.map((v) => v * 1.3), false).word, 'better');
});

test('paired: pairing removes the rounds\' common noise that Welch cannot', () => {
  // Round-to-round swings of ±20 % hit both variants; B is 5 % above A in every round.
  const a = [100, 120, 80, 110, 90, 105];
  const b = a.map((v) => v * 1.05);
  assert.equal(pairedDifference(a, b, true).word, 'worse');
  assert.equal(unpairedDifference(a, b, true).word, 'no difference detectable');
});

test('one repeat: no interval, never a word of change', () => {
  const d = pairedDifference([10], [20], true);
  assert.equal(d.pct, 100);
  assert.ok(Number.isNaN(d.lowPct) && Number.isNaN(d.highPct));
  assert.equal(d.word, 'no difference detectable');
  assert.equal(unpairedDifference([10], [20, 21], true).word, 'no difference detectable');
});

test('a zero or missing baseline pair is left out, not divided by', () => {
  const d = pairedDifference([0, 10, NaN, 10], [5, 11, 3, 11], true);
  assert.equal(d.n, 2);
  assert.ok(Math.abs(d.pct - 10) < 1e-9);
});

test('repeats to resolve a difference grow with the square of noise over effect', () => {
  assert.equal(repeatsToResolve(0, 5), 2);
  const n10 = repeatsToResolve(10, 5);
  assert.ok(n10 >= 16 && n10 <= 20, `n ${n10}`); // ≈ (1.96·10/5)² = 15.4, t a little wider
  assert.ok(repeatsToResolve(20, 5) > 3 * n10);
  assert.ok(Number.isNaN(repeatsToResolve(NaN, 5)));
  assert.equal(repeatsToResolve(1e6, 0.001), 10_000);
});

test('tQuantile agrees with the t table and with Bonferroni levels from tables', async () => {
  const { tQuantile, tCdf } = await import('../src/analysis/difference.js');
  for (const df of [1, 2, 4, 9, 29]) assert.ok(Math.abs(tQuantile(0.975, df) - t975(df)) < 2e-3, `df ${df}: ${tQuantile(0.975, df)}`);
  // t(0.995, 4) = 4.604, t(0.9975, 4) = 5.598 (standard tables).
  assert.ok(Math.abs(tQuantile(0.995, 4) - 4.604) < 2e-3);
  assert.ok(Math.abs(tQuantile(0.9975, 4) - 5.598) < 2e-3);
  assert.ok(Math.abs(tCdf(0, 5) - 0.5) < 1e-12);
  assert.ok(Number.isNaN(tQuantile(0.4, 4)));
});

test('ten figures judged at once: their intervals are wider, so A/A noise reads "no difference" on all of them 95 % of the time', async () => {
  const { pairedDifference: paired, tCritical } = await import('../src/analysis/difference.js');
  assert.equal(tCritical(4), t975(4));
  assert.ok(Math.abs(tCritical(4, 10) - 5.598) < 2e-3); // t(1 − 0.05/20, 4)
  // Seeded A/A: 5 rounds, 10 independent figures with 10 % noise each, 400 tries.
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const normal = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  let anyPer = 0;
  let anyFamily = 0;
  for (let t = 0; t < 400; t++) {
    let per = false;
    let fam = false;
    for (let f = 0; f < 10; f++) {
      const a = Array.from({ length: 5 }, () => 100 * (1 + 0.1 * normal()));
      const b = Array.from({ length: 5 }, () => 100 * (1 + 0.1 * normal()));
      per ||= paired(a, b, true).word !== 'no difference detectable';
      fam ||= paired(a, b, true, 10).word !== 'no difference detectable';
    }
    anyPer += per ? 1 : 0;
    anyFamily += fam ? 1 : 0;
  }
  assert.ok(anyPer / 400 > 0.25, `one figure or more flagged in ${anyPer}/400 A/A tries at 95 % each`);
  assert.ok(anyFamily / 400 <= 0.08, `one figure or more flagged in ${anyFamily}/400 A/A tries held together`);
});

test('paired differences of positive figures are log ratios: a doubling and a halving are symmetric', () => {
  const up = pairedDifference([10, 10, 10], [20, 20, 20], true);
  const down = pairedDifference([20, 20, 20], [10, 10, 10], true);
  assert.ok(Math.abs(up.pct - 100) < 1e-9 && Math.abs(down.pct + 50) < 1e-9);
  // A negative figure falls back to the linear relative difference.
  assert.equal(pairedDifference([-10, 10], [-5, 15], true).pct, 50);
});

test('repeatsToResolve counts with the critical t the intervals use: ten figures held together (Bonferroni) need 36 pairs for ±5 % at 10 % noise, not the plain 95 % t\'s 18', () => {
  // By hand from the t table: t(0.9975, 35) = 2.996, 2.996·10/√36 = 4.99 < 5; t(0.9975, 34) = 3.002, 3.002·10/√35 = 5.07.
  assert.equal(repeatsToResolve(10, 5), 18);
  assert.equal(repeatsToResolve(10, 5, 10), 36);
  assert.equal(repeatsToResolve(1e6, 0.001, 10), 10_000);
});

test('rounds with no spread: a 0.0001 % difference (interval of width 0) reads no difference, as the table shows it (+0.0 %); a 10 % one with no spread still reads', () => {
  const a = [10, 10, 10];
  const tiny = [10.00001, 10.00001, 10.00001];
  assert.equal(pairedDifference(a, tiny, true).highPct - pairedDifference(a, tiny, true).lowPct, 0);
  assert.equal(pairedDifference(a, tiny, true).word, 'no difference detectable');
  assert.equal(unpairedDifference(a, tiny, true).word, 'no difference detectable');
  assert.equal(pairedDifference(a, [11, 11, 11], true).word, 'worse');
  assert.equal(pairedDifference(a, [9, 9, 9], true).word, 'better');
});

test('unpaired with one run on one side: its noise is the other side\'s, s·√(1 + 1/n) on n − 1 df (by hand: [100] vs [150, 152, 148]: s = 2, ±4.303·2·√(4/3) = ±9.94)', () => {
  const d = unpairedDifference([100], [150, 152, 148], true);
  assert.ok(Math.abs(d.pct - 50) < 1e-9);
  assert.ok(Math.abs(d.highPct - d.pct - 4.303 * 2 * Math.sqrt(4 / 3)) < 1e-9, String(d.highPct - d.pct));
  assert.equal(d.word, 'worse');
  assert.ok(Number.isNaN(unpairedDifference([100], [150], true).lowPct), 'one run a side: still no interval');
});
