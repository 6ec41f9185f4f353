import type { Frame, ShardFrame } from '../protocol/frame.js';
import { mean, measured, quantile } from './stats.js';
import type { ShardSummary, Summary } from './summary.js';

/** A shard is saturated when its p99 CPU reaches this share of its cores (as the soak's own fleet). */
const CPU_SHARE = 0.9;
/** …or a serving thread was saturated (render tasks waited, before serving threads) in more than this share of the seconds it answered. */
const QUEUED_SHARE = 0.1;
/** A queued second counts only when the fleet was this busy: a queue while it idles is a scraper's burst. */
export const BUSY_SHARE = 0.5;

/**
 * Remote fleet shards (`run --fleet`) over the measured window, from each frame's
 * `fleet.shards`: each one's CPU against its own cores and its saturated serving threads (so "fleet
 * saturated" is decided per shard, wherever it ran), when it was down, and what the shards
 * that were up offered. Undefined for a soak of its own fleet.
 */
export function shardsBlock(frames: Frame[], allFrames: Frame[], samplesPerExporterPerSecond: number): { shards: ShardSummary[]; offeredSamplesPerSecond: number } | undefined {
  const withShards = frames.filter((f) => f.fleet.shards?.length);
  if (withShards.length === 0) return undefined;
  const names = [...new Set(withShards.flatMap((f) => f.fleet.shards!.map((s) => s.shard)))];
  const shards = names.map((name): ShardSummary => {
    const seconds = withShards.map((f) => ({ t: f.t, s: f.fleet.shards!.find((x) => x.shard === name) })).filter((x): x is { t: number; s: ShardFrame } => x.s !== undefined);
    const last = seconds.at(-1)!.s;
    const cpu = measured(seconds.map((x) => x.s.cpuCores));
    const queued = measured(seconds.map((x) => x.s.queued));
    // A queue while the shard's CPU idles is a scraper's burst of concurrent scrapes, not saturation.
    const queuedSeconds = seconds.filter((x) => (x.s.queued ?? 0) > 0 && (x.s.cpuCores ?? 0) >= BUSY_SHARE * Math.min(1, x.s.cores)).length;
    const peak = cpu.length ? quantile(cpu, 0.99) : null;
    const down = seconds.filter((x) => !x.s.up);
    const byCpu = peak !== null && peak >= CPU_SHARE * last.cores;
    const byQueue = queued.length > 0 && queuedSeconds / queued.length > QUEUED_SHARE;
    return {
      shard: name,
      url: last.url,
      exporters: last.exporters,
      cores: last.cores,
      cpuCores: cpu.length ? round(mean(cpu)) : null,
      peakCpuCores: peak === null ? null : round(peak),
      queuedSeconds,
      saturated: byCpu || byQueue,
      reason: byCpu
        ? `fleet shard ${name} (${last.url}) used ${peak!.toFixed(2)} of its ${last.cores} core${last.cores === 1 ? '' : 's'} at p99`
        : byQueue
          ? `fleet shard ${name} (${last.url}) had a serving thread saturated in ${queuedSeconds} of ${queued.length} s`
          : null,
      downSeconds: down.length,
      downAtT: down.length ? downSince(allFrames, name, down[0]!.t) : null,
      downReason: down[0]?.s.reason ?? null,
      upAtEnd: last.up,
    };
  });
  const offered = withShards.map((f) => f.fleet.shards!.reduce((a, s) => a + (s.up ? s.exporters : 0), 0) * samplesPerExporterPerSecond);
  return { shards, offeredSamplesPerSecond: Math.round(mean(offered) * 10) / 10 };
}

/** The first frame (the warm-up included) of the down stretch that holds the frame at `t`: a death in the warm-up is dated there. */
function downSince(all: Frame[], name: string, t: number): number {
  let since: number | null = null;
  for (const f of all) {
    if (f.t > t) break;
    const up = f.fleet.shards?.find((x) => x.shard === name)?.up;
    if (up === false) since ??= f.t;
    else if (up === true) since = null;
  }
  return since ?? t;
}

/**
 * The share of the fleet's exporters whose shard was up in this frame (1 for a soak of its own
 * fleet): evenness is judged against what was offered, so the seconds after a shard's death are
 * not starved seconds of the system under test.
 */
export function liveShare(f: Frame): number {
  const shards = f.fleet.shards;
  if (!shards?.length) return 1;
  const all = shards.reduce((a, s) => a + s.exporters, 0);
  return all > 0 ? shards.reduce((a, s) => a + (s.up ? s.exporters : 0), 0) / all : 1;
}

/** The fleet saturated when any shard was, the reason naming each one that was. */
export function shardsSaturation(shards: ShardSummary[]): { saturated: boolean; reason: string | null } {
  const hit = shards.filter((s) => s.saturated);
  return { saturated: hit.length > 0, reason: hit.length ? hit.map((s) => s.reason).join('; ') : null };
}

/** A line per shard that was down in the window: the load dropped because of it, not because of the system under test. */
export function shardsVerdict(s: Summary): string[] {
  const shards = s.fleet.shards ?? [];
  const offered = s.fleet.offeredSamplesPerSecond;
  const total = shards.reduce((a, x) => a + x.exporters, 0);
  return shards
    .filter((x) => x.downSeconds > 0)
    .map((x) => {
      const at = (x.downAtT ?? 0).toFixed(1);
      const when = x.upAtEnd ? `was down for ${x.downSeconds} s from t=${at} s` : `died at t=${at} s`;
      const share = offered !== undefined && offered > 0 ? `; ingestion was ${Math.round((s.samplesPerSecond.mean / offered) * 100)} % of that` : '';
      return (
        `the load dropped because fleet shard ${x.shard} (${x.url}) ${when} (${x.downReason ?? 'no answer'}), not through the system's fault: ` +
        `its ${x.exporters} of ${total} exporters went unserved, so the live shards offered ${fmt(offered ?? 0)} samples/s on average over the window, not ${fmt(s.samplesPerSecond.expected)}${share}.`
      );
    });
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
const fmt = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
