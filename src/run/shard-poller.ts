import { readFleetStats, type FleetStats } from '../protocol/fleet-stats.js';
import type { Frame, ShardFrame } from '../protocol/frame.js';
import type { FleetFrameMeter } from './fleet-meter.js';
import type { RemoteShard } from './remote-fleet.js';
import { fetchShardJson, ShardFetchError, STATS_BODY_LIMIT } from './shard-client.js';

export interface ShardPollerOptions {
  /** How often each shard's /stats is read. */
  intervalMs?: number;
  /** A poll's deadline; a poll still waiting when the next is due is not repeated. */
  timeoutMs?: number;
  /** No answer for this long (or a refused connection) and a shard is down. */
  downAfterMs?: number;
  /** One line when a shard goes down or comes back. */
  onEvent?: (line: string) => void;
}

/** A figure older than this is not the second's: null in the frame. */
const STALE_MS = 2000;

interface State {
  shard: RemoteShard;
  inFlight: boolean;
  last: FleetStats;
  /** Local time of the last answer. */
  lastOkMs: number;
  cpuCores: number | null;
  /** totals.scrapes when the last frame took its count. */
  counted: number;
  downSinceMs: number | null;
  downReason: string | null;
}

/**
 * The frames' fleet figures for remote shards: each shard's /stats once a second (in the
 * background, on its own timer), its CPU from the change of its cumulative CPU between two
 * answers (the shard's own clock), its scrapes since the last frame, its serving threads saturated.
 * A shard that refuses the connection, answers with another profile or with anything that is
 * not a fleet's /stats (readFleetStats: each field typed and bounded; the body at most 1 MiB,
 * 64 levels deep), or does not answer for 3 s, is down: said once as a line, `up: false` in
 * every frame until it answers again. The soak goes on without it; nothing a shard sends
 * throws out of the poll.
 */
export class ShardPoller implements FleetFrameMeter {
  private readonly states: State[];
  private timer: NodeJS.Timeout | undefined;
  private soakStartMs = 0;
  private readonly o: Required<Omit<ShardPollerOptions, 'onEvent'>> & Pick<ShardPollerOptions, 'onEvent'>;
  /** Answers taken so far (the bench divides its CPU by them). */
  polls = 0;

  constructor(shards: RemoteShard[], o: ShardPollerOptions = {}) {
    this.o = { intervalMs: 1000, timeoutMs: 2000, downAfterMs: 3000, ...o };
    const now = Date.now();
    this.states = shards.map((shard) => ({ shard, inFlight: false, last: shard.stats, lastOkMs: now, cpuCores: null, counted: shard.stats.totals.scrapes, downSinceMs: null, downReason: null }));
  }

  start(): this {
    this.timer ??= setInterval(() => this.tick(), this.o.intervalMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The soak's clock starts: scrapes are counted from here, and events say soak time. */
  reset(soakStartMs = Date.now()): void {
    this.soakStartMs = soakStartMs;
    for (const s of this.states) s.counted = s.last.totals.scrapes;
  }

  /** One poll of every shard not still waiting for its last one (the timer calls it). */
  tick(now = Date.now()): void {
    for (const s of this.states) {
      if (s.downSinceMs === null && now - s.lastOkMs >= this.o.downAfterMs) this.down(s, now, `no answer for ${((now - s.lastOkMs) / 1000).toFixed(0)} s`);
      if (s.inFlight) continue;
      s.inFlight = true;
      fetchShardJson(`${s.shard.url}/stats`, this.o.timeoutMs, STATS_BODY_LIMIT)
        .then(
          (body) => this.answer(s, body),
          (e: Error) => this.failed(s, e),
        )
        // Nothing a shard sends may stop the soak: whatever went wrong reads as the shard down.
        .catch((e: Error) => {
          s.inFlight = false;
          this.down(s, Date.now(), `its /stats could not be read (${e.message})`);
        });
    }
  }

  private answer(s: State, answer: unknown): void {
    s.inFlight = false;
    const now = Date.now();
    const read = readFleetStats(answer);
    if (!read.ok) return this.down(s, now, `its /stats is no longer a fleet's: ${read.why}`);
    const body = read.stats;
    if (body.profile.digest !== s.shard.stats.profile.digest) return this.down(s, now, `it now serves another profile (${body.profile.name}, ${body.profile.digest.slice(0, 19)})`);
    this.polls++;
    const restarted = body.fleet.pid !== s.last.fleet.pid || body.fleet.startedAtMs !== s.last.fleet.startedAtMs;
    const seconds = (body.atMs - s.last.atMs) / 1000;
    s.cpuCores = !restarted && seconds > 0 ? Math.max(0, body.totals.cpuSeconds - s.last.totals.cpuSeconds) / seconds : null;
    // A restarted shard counts from 0 again.
    if (restarted) s.counted = 0;
    s.last = body;
    s.lastOkMs = now;
    if (s.downSinceMs !== null) {
      this.o.onEvent?.(`fleet shard ${s.shard.label} (${s.shard.url}) answers again at ${this.when(now)}${restarted ? ' (restarted)' : ''}, after ${((now - s.downSinceMs) / 1000).toFixed(1)} s down`);
      s.downSinceMs = null;
      s.downReason = null;
    }
  }

  private failed(s: State, e: Error): void {
    s.inFlight = false;
    const now = Date.now();
    // An answer that is not a fleet's /stats (a status, not JSON, too big, too deep) is the shard down at once, as a
    // refused or reset connection (a dead process or host) is; a slow answer only after downAfterMs.
    if (e instanceof ShardFetchError && e.kind === 'bad') this.down(s, now, `its /stats answered ${e.message}`);
    else if (/^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET)$/.test(e.message) || now - s.lastOkMs >= this.o.downAfterMs) this.down(s, now, e.message);
  }

  private down(s: State, now: number, why: string): void {
    if (s.downSinceMs !== null) return;
    s.downSinceMs = now;
    s.downReason = why;
    s.cpuCores = null;
    this.o.onEvent?.(`fleet shard ${s.shard.label} (${s.shard.url}) stopped answering /stats at ${this.when(now)} (${why}): the soak goes on without its ${s.shard.stats.exporters} exporters`);
  }

  private when(ms: number): string {
    return this.soakStartMs > 0 ? `t=${((ms - this.soakStartMs) / 1000).toFixed(1)} s` : 'the start (before the soak\'s clock)';
  }

  /** The second that just ended: the sum over the shards up, the deepest queue, and each shard. */
  next(_seconds: number): Frame['fleet'] {
    const now = Date.now();
    const shards = this.states.map((s): ShardFrame => {
      const up = s.downSinceMs === null;
      const fresh = up && now - s.lastOkMs <= STALE_MS;
      const served = s.last.totals.scrapes - s.counted;
      s.counted = s.last.totals.scrapes;
      return {
        shard: s.shard.label,
        url: s.shard.url,
        up,
        cpuCores: fresh ? round(s.cpuCores) : null,
        queued: fresh ? s.last.queueDepth : null,
        scrapesServed: up || served > 0 ? served : null,
        cores: s.shard.stats.fleet.cores,
        exporters: s.shard.stats.exporters,
        ...(up ? {} : { reason: s.downReason ?? 'down' }),
      };
    });
    return {
      cpuCores: round(shards.reduce((a, s) => a + (s.cpuCores ?? 0), 0))!,
      queued: Math.max(0, ...shards.map((s) => s.queued ?? 0)),
      scrapesServed: shards.reduce((a, s) => a + (s.scrapesServed ?? 0), 0),
      shards,
    };
  }
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e6) / 1e6);
