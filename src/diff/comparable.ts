import type { Summary } from '../analysis/summary.js';
import { visible } from '../common/terminal-text.js';

/**
 * What makes two runs comparable: the same profile (its digest, from profile.json), the same
 * load (exporters, series, interval, synthetic series, pushed or scraped) and the same kind of
 * system under test. Each difference is one phrase naming it with both values; `diff` refuses
 * on any of them unless --force.
 */

export interface RunSettings {
  summary: Summary;
  profile: { digest: string; value: unknown } | null;
}

const show = (v: unknown): string => visible(v === undefined ? 'absent' : JSON.stringify(v).slice(0, 80));

/** The first place two JSON values differ, as a path (`families[2].series`), with both values; undefined when equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (a === b) return undefined;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return `${at || 'the profile'}: ${show(a)} vs ${show(b)}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? undefined : `${at || 'the profile'}: ${a.length} entries vs ${b.length}`;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  for (const k of keys) {
    const d = firstDifference(ra[k], rb[k], at ? `${at}.${visible(k)}` : visible(k));
    if (d) return d;
  }
  return undefined;
}

/** Every difference between a's and b's profile, load and target; [] when they are comparable. */
export function settingsDifferences(a: RunSettings, b: RunSettings): string[] {
  const out: string[] = [];
  const sa = a.summary;
  const sb = b.summary;
  if (a.profile && b.profile) {
    if (a.profile.digest !== b.profile.digest) out.push(`profile: ${visible(sa.run.profile)} (${a.profile.digest.slice(0, 19)}) vs ${visible(sb.run.profile)} (${b.profile.digest.slice(0, 19)}), first at ${firstDifference(a.profile.value, b.profile.value)}`);
  } else if (sa.run.profile !== sb.run.profile) {
    out.push(`profile: ${show(sa.run.profile)} vs ${show(sb.run.profile)}`);
  }
  const load = (s: Summary): Record<string, unknown> => ({
    exporters: s.load.exporters,
    seriesPerExporter: s.load.seriesPerExporter,
    intervalSeconds: s.load.intervalSeconds,
    syntheticPerScrape: s.load.syntheticPerScrape ?? 0,
    push: s.push ? `--push ${s.push.protocol}` : 'scraped',
  });
  const la = load(sa);
  const lb = load(sb);
  for (const k of Object.keys(la)) if (la[k] !== lb[k]) out.push(`load: ${k} ${show(la[k])} vs ${show(lb[k])}`);
  const ta = sa.run.target?.kind ?? 'builtin';
  const tb = sb.run.target?.kind ?? 'builtin';
  if (ta !== tb) out.push(`target: ${ta} vs ${tb}`);
  return out;
}
