import { hashString } from './hash.js';

/**
 * A target's phase within the scrape interval, ms: its scrapes are due at the wall-clock times
 * t ≡ phase (mod interval), so a fleet's scrapes spread over the interval as in Prometheus.
 * The engine schedules by it; the analysis computes what each second was due from it.
 * `offsetMs` shifts every target's phase by the same amount (an engine beside others on one
 * fleet, `compare --together`: engine k of n at k·interval/n, so no two scrape a target at once).
 */
export function schedulePhaseMs(targetId: string, intervalMs: number, offsetMs = 0): number {
  return ((hashString(targetId) % intervalMs) + (offsetMs % intervalMs)) % intervalMs;
}

/** Engine k of n beside each other: its phase offset, k·interval/n rounded to the ms (evenly spread over the interval). */
export function sidePhaseOffsetMs(k: number, n: number, intervalMs: number): number {
  return Math.round((k * intervalMs) / n) % intervalMs;
}
