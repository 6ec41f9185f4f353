import { hashString } from './hash.js';

/**
 * A target's phase within the scrape interval, ms: its scrapes are due at the wall-clock times
 * t ≡ phase (mod interval), so a fleet's scrapes spread over the interval as in Prometheus.
 * The engine schedules by it; the analysis computes what each second was due from it.
 */
export function schedulePhaseMs(targetId: string, intervalMs: number): number {
  return hashString(targetId) % intervalMs;
}
