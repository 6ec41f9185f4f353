import type { PushStats } from '../protocol/push-stats.js';

/** summary.json's `push`: where every generated sample went, and what the receiver's own counter says it stored. */
export type PushSummary = PushStats & {
  /** The receiver's samples counter from the soak's start to after the drain (null: it did not answer then). */
  stored: number | null;
  /** Which counter that is. */
  storedCounter: string;
  /** Acknowledged samples the counter does not account for (null when it is not known). */
  acknowledgedNotStored: number | null;
  /** Why what was stored cannot be told from the counter (it went backwards; it grew by more than was acknowledged); null when it can, or it did not answer. */
  storedUnknown: string | null;
  /** The counter went backwards over the soak: the receiver restarted or reset it (fails the soak). */
  storedReset: boolean;
  /** The push failed the soak: samples rejected or dropped, nothing acknowledged, or acknowledged but not stored past 2 %. */
  failed: boolean;
};

/** Acknowledged and stored may differ by this share before it is called a loss (a receiver counting late, rounding). */
export const STORED_TOLERANCE = 0.02;

export function pushSummary(stats: PushStats, stored: number | null, storedCounter: string, unknown?: string): PushSummary {
  const t = stats.totals;
  let why = unknown ?? null;
  // Counted from its baseline: below zero, the counter went backwards (a receiver restarted).
  if (why === null && stored !== null && stored < 0) why = `its counter ${storedCounter} is ${-stored} lower after the soak than before it: the receiver restarted or reset it`;
  // More than was acknowledged: something else writes to this receiver too (a url: one shared), and a loss would hide in it.
  if (why === null && stored !== null && stored > t.acknowledged * (1 + STORED_TOLERANCE) + 1)
    why = `its counter ${storedCounter} grew by ${stored}, more than the ${t.acknowledged} samples it acknowledged: something else writes to it too, so what the push stored cannot be told from it`;
  const counted = why === null ? stored : null;
  const notStored = counted === null ? null : Math.max(0, t.acknowledged - counted);
  // A receiver that does not store stale markers (InfluxDB 1.x drops NaN) loses staleness, not samples.
  const lost = notStored !== null && notStored > STORED_TOLERANCE * t.acknowledged && notStored > staleAcked(stats);
  // A counter that went backwards is a receiver that restarted mid-soak: not a good run whatever it says after.
  const reset = why !== null && !(stored !== null && stored > t.acknowledged);
  // After the drain every sample is acknowledged, rejected or dropped: a backlog left is a serving thread that never stopped (it died, or hung).
  const failed = t.backlog > 0 || (t.skipped ?? 0) > 0 || t.rejected > 0 || t.droppedBacklog > 0 || t.droppedAtStop > 0 || t.acknowledged === 0 || lost || reset;
  return { ...stats, stored: counted, storedCounter, acknowledgedNotStored: notStored, storedUnknown: why, storedReset: reset, failed };
}

/** The verdict's lines for a pushed soak: FAILED ones first. */
export function pushVerdict(p: PushSummary): string[] {
  const t = p.totals;
  const pct = (n: number): string => (t.generated > 0 ? `${((100 * n) / t.generated).toFixed(1)} %` : 'n/a');
  const lines: string[] = [];
  const behind = generatorBehind(p);
  if (behind) lines.push(behind);
  if (t.rejected > 0) {
    const by = Object.entries(t.rejectedByStatus).map(([s, n]) => `${n} with ${s}`).join(', ');
    lines.push(`FAILED: the receiver rejected ${t.rejected} of the ${t.generated} samples pushed (${pct(t.rejected)}; ${by})${p.notes[0] ? `: ${p.notes[0]}` : ''}.`);
  }
  if (t.droppedBacklog > 0) {
    const who = (t.skipped ?? 0) + (t.generatedLate ?? 0) > 0 ? 'the fleet or the receiver did not keep up (the fleet\'s generator was behind, above)' : 'the receiver did not keep up';
    lines.push(`FAILED: ${who}: the backlog passed --max-backlog ${p.maxBacklog} and ${t.droppedBacklog} samples (${pct(t.droppedBacklog)}) were dropped, oldest first (request latency p99 ${t.latencyP99Ms ?? 'n/a'} ms, ${t.networkErrors} requests unanswered).`);
  }
  if (t.backlog > 0) lines.push(`FAILED: ${t.backlog} samples (${pct(t.backlog)}) were never accounted for, not acknowledged, rejected nor dropped: a serving thread did not stop when the push was drained (it died, or hung).`);
  if (t.droppedAtStop > 0) lines.push(`FAILED: ${t.droppedAtStop} samples (${pct(t.droppedAtStop)}) were still unacknowledged when the drain after the soak ran out.`);
  if (t.acknowledged === 0 && t.generated > 0) lines.push(`FAILED: the receiver acknowledged none of the ${t.generated} samples pushed.`);
  const notStored = p.acknowledgedNotStored;
  if (p.storedUnknown) lines.push(`${p.storedReset ? 'FAILED: ' : ''}what the receiver stored is not known: ${p.storedUnknown}.`);
  if (notStored !== null && notStored > STORED_TOLERANCE * t.acknowledged && notStored <= staleAcked(p)) {
    lines.push(`the receiver's counter (${p.storedCounter}) says it stored ${p.stored} of the ${t.acknowledged} samples it acknowledged: the ${notStored} not counted are no more than the ${t.staleMarkers} stale markers sent (NaN): it does not store staleness (InfluxDB 1.x drops NaN), so a churned series does not end there.`);
  } else if (notStored !== null && notStored > STORED_TOLERANCE * t.acknowledged) {
    lines.push(`FAILED: the receiver acknowledged ${t.acknowledged} samples but its own counter (${p.storedCounter}) says it stored ${p.stored}: ${p.acknowledgedNotStored} acknowledged but not stored.`);
  }
  const stored = p.storedUnknown ? 'stored not known (above)' : p.stored === null ? `its counter ${p.storedCounter} did not answer after the drain` : `${p.stored} stored by its own counter (${p.storedCounter})`;
  lines.push(
    `push (remote write ${p.protocol}): ${t.generated} samples generated, ${t.acknowledged} acknowledged (${pct(t.acknowledged)}), ${stored}; ` +
      `${t.requests} requests of up to ${p.batch} samples over ${p.senders} connection${p.senders === 1 ? '' : 's'}, ${(t.bytesWire / Math.max(1, t.acknowledged + t.rejected)).toFixed(1)} B/sample on the wire; ` +
      `latency p50 ${t.latencyP50Ms ?? 'n/a'} ms, p99 ${t.latencyP99Ms ?? 'n/a'} ms; ${t.retried} samples retried.`,
  );
  return lines;
}

/**
 * The fleet's own generator behind its schedule: samples never generated (FAILED: the load
 * offered was not the profile's) or generated over a second late. Named as the fleet's
 * bottleneck, so it is not read as the receiver's.
 */
function generatorBehind(p: PushStats): string | null {
  const t = p.totals;
  const skipped = t.skipped ?? 0;
  const late = t.generatedLate ?? 0;
  if (skipped === 0 && late === 0) return null;
  const due = t.generated + skipped;
  const pct = (n: number): string => (due > 0 ? `${((100 * n) / due).toFixed(1)} %` : 'n/a');
  const what = [skipped > 0 ? `${skipped} samples due (${pct(skipped)}) were never generated` : '', late > 0 ? `${late} (${pct(late)}) were generated over a second late` : ''].filter(Boolean).join(' and ');
  return `${skipped > 0 ? 'FAILED: ' : ''}the fleet's generator fell behind the profile's schedule, by up to ${t.generatorLagMaxMs ?? 'n/a'} ms: ${what}. The bottleneck is the fleet (its serving threads), not the receiver: more --threads, or fewer exporters per thread.`;
}

/** Stale markers that may have been acknowledged (all of them when nothing was lost before an answer). */
function staleAcked(p: PushStats): number {
  return Math.min(p.totals.staleMarkers ?? 0, p.totals.acknowledged);
}
