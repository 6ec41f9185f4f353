import { PromsoakError } from '../common/errors.js';
import { checkPushUrl, pushSettings, type PushFlags, type PushOptions } from '../push/push-options.js';
import type { TargetSpec } from './target-spec.js';

/** A soak that pushes: the settings, and the write URL when the user gave it (url:); a launched receiver's is known once it listens. */
export interface PushPlan {
  settings: Omit<PushOptions, 'url'>;
  url: string | undefined;
}

/**
 * `run --push`: which targets can receive, checked before anything starts. Prometheus and
 * VictoriaMetrics are launched with their receiver on (the URL is theirs); `exec:` must say
 * where its receiver listens with `{write_url}`; `url:` needs `--push-url`; the built-in engine
 * receives with its own receiver (`--receive`, the cached ingester). `--fleet` shards do not
 * push for a soak.
 */
export function planPush(o: Partial<PushFlags> & { fleet?: string; ingester?: string }, spec: TargetSpec): PushPlan | undefined {
  if (o.push === undefined) {
    if (spec.kind === 'influxdb') throw usage('--target influxdb only receives (it does not scrape): add --push remote-write');
    const stray = (['pushUrl', 'batch', 'senders', 'maxBacklog', 'pushTimeout'] as const).find((k) => o[k] !== undefined);
    if (stray) throw usage(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is a push flag: add --push remote-write (or remote-write:2)`);
    return undefined;
  }
  const settings = pushSettings(o as PushFlags);
  if (o.fleet !== undefined) throw usage('--push with --fleet: shards already running do not push for a soak; start them with promsoak fleet --push instead');
  switch (spec.kind) {
    case 'builtin':
      // The engine's receiver decodes into the cached ingester's head (engine/receiver.ts).
      if (o.ingester !== undefined && o.ingester !== 'cached') throw usage(`--push with the built-in engine needs --ingester cached (its remote-write receiver writes into that head; got ${o.ingester})`);
      if (o.pushUrl !== undefined) throw usage('--push-url with the built-in engine: promsoak starts its receiver and pushes to it');
      return { settings, url: undefined };
    case 'prometheus':
    case 'victoria-metrics':
    case 'influxdb':
      if (o.pushUrl !== undefined) throw usage(`--push-url with --target ${spec.kind}: promsoak launches it and pushes to its own /api/v1/write`);
      return { settings, url: undefined };
    case 'exec':
      if (!spec.argv.some((w) => w.includes('{write_url}'))) throw usage('--push with --target exec: the command must take {write_url} (where its remote-write receiver listens): a scrape-only command cannot receive');
      if (o.pushUrl !== undefined) throw usage('--push-url with --target exec: the URL is {write_url}, filled in by promsoak');
      return { settings, url: undefined };
    case 'url':
      return { settings, url: checkPushUrl(o.pushUrl) };
  }
}

function usage(message: string): PromsoakError {
  return new PromsoakError('PROMSOAK_USAGE', message);
}
