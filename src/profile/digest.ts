import { createHash } from 'node:crypto';
import type { ResolvedProfile } from './load.js';
import { readReplayFile } from './replay-file.js';

/**
 * A stable hash of a resolved profile, so that fleets on different hosts (shards) can be
 * checked to serve the same fleet: `sha256:<hex>` of its canonical JSON (keys sorted).
 *
 * Left out or replaced, because they differ between hosts for the same profile: `source`
 * (where the file was read from), and a replayed capture's path, which is replaced by the
 * sha256 of the capture's bytes (those decide what is served). Everything else counts,
 * `--exporters` and `--format` overrides included: shards must agree on them.
 */
export function profileDigest(profile: ResolvedProfile): string {
  return wireDigest(wireProfile(profile));
}

/**
 * A profile as it crosses hosts (a fleet's `GET /profile`): what the digest hashes, so that a
 * reader can check it against the digest of /stats without the fleet's files.
 */
export type WireProfile = Omit<ResolvedProfile, 'source'>;

export function wireProfile(profile: ResolvedProfile): WireProfile {
  const { source: _source, ...rest } = profile;
  const families = rest.families.map((f) => (f.type === 'replay' ? { ...f, file: `sha256:${sha256(readReplayFile(f.file))}` } : f));
  return { ...rest, families };
}

/** The digest of a profile already in its wire form. */
export function wireDigest(wire: WireProfile): string {
  return `sha256:${sha256(canonicalJson(wire))}`;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with every object's keys sorted: the same value gives the same text whatever built it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
