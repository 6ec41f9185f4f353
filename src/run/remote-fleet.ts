import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { PromsoakError } from '../common/errors.js';
import { hostList, positiveInt } from '../common/options.js';
import { checkCoverage, formatShard, WHOLE_FLEET, type Shard } from '../fleet/shard.js';
import type { TargetGroup } from '../fleet/sd.js';
import { profileDigest, wireDigest, type WireProfile } from '../profile/digest.js';
import { loadProfile, resolveProfilePath, type ResolvedProfile } from '../profile/load.js';
import { profileNameSchema } from '../profile/schema.js';
import { FLEET_STATS_SCHEMA_VERSION, readFleetStats, type FleetStats } from '../protocol/fleet-stats.js';
import { BODY_LIMIT, fetchShardJson, sdBodyLimit, ShardFetchError, STATS_BODY_LIMIT } from './shard-client.js';
import { mergeSd } from './shard-sd.js';
import { TargetHosts } from './target-hosts.js';
import { visible } from '../common/terminal-text.js';
import { preview } from '../common/schema-issue.js';

/**
 * `promsoak run --fleet <url>,…`: fleets already running (`promsoak fleet --shard i/n`, on
 * this host or others) instead of the soak's own. Before anything starts, each one's /stats
 * is read: they must serve one profile (one digest), and their shards must cover the fleet
 * exactly once. Their /sd lists are merged into the file_sd the system under test reads; each
 * lists targets on its own host only, unless --allow-target-hosts names others. Every answer
 * is read bounded (1 MiB for /stats, 4 MiB for /profile and /sd, more for /sd of a big shard;
 * 64 levels of nesting) and checked field by field. Every failure is one line naming the
 * shard: unreachable (exit 1), anything else (exit 2).
 */
export interface RemoteShard {
  /** Base URL, as given to --fleet (no trailing slash). */
  url: string;
  shard: Shard;
  /** `i/n`. */
  label: string;
  /** Its /stats when the soak started. */
  stats: FleetStats;
}

export interface RemoteFleet {
  shards: RemoteShard[];
  /** The profile the shards serve, resolved (their digest). */
  profile: ResolvedProfile;
  digest: string;
  /** Every shard's /sd, merged, by exporter id. */
  groups: TargetGroup[];
  /** Cores the shards' processes may use, together. */
  cores: number;
  /** Some shard runs on this machine (same host name): it shares the cores with what it soaks. */
  onThisHost: boolean;
}

/** How long a shard has to answer at the start (and each poll). */
export const SHARD_TIMEOUT_MS = 2000;

const mismatch = (message: string): PromsoakError => new PromsoakError('PROMSOAK_FLEET_MISMATCH', message);

/** `--fleet http://a:9400,b:9400` → base URLs; anything that is not http://host[:port] is one line, exit 2. */
export function parseFleetUrls(text: string): string[] {
  const items = String(text).split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new PromsoakError('PROMSOAK_USAGE', `--fleet needs at least one fleet URL, e.g. --fleet http://10.0.0.5:9400,http://10.0.0.6:9400 (got "${text}")`);
  return items.map((item) => {
    let u: URL;
    try {
      u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(item) ? item : `http://${item}`);
    } catch {
      throw new PromsoakError('PROMSOAK_USAGE', `--fleet ${item}: not a URL (a fleet's base URL, e.g. http://10.0.0.5:9400)`);
    }
    if (u.protocol !== 'http:' || u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) {
      throw new PromsoakError('PROMSOAK_USAGE', `--fleet ${item}: a fleet's base URL is http://host[:port], nothing after it (promsoak fleet's ready line prints it)`);
    }
    return u.origin;
  });
}

/** Reads every shard's /stats and /sd, checks they make one fleet, and resolves its profile. */
export async function connectFleet(o: { fleet: string; profile?: string | ResolvedProfile; exporters?: number; allowTargetHosts?: string }, timeoutMs = SHARD_TIMEOUT_MS): Promise<RemoteFleet> {
  const urls = parseFleetUrls(o.fleet);
  positiveInt('--exporters', o.exporters);
  const allowed = hostList('--allow-target-hosts', o.allowTargetHosts) ?? [];
  const shards = await Promise.all(urls.map((url) => readStats(url, timeoutMs)));
  const digests = [...new Set(shards.map((s) => s.stats.profile.digest))];
  if (digests.length > 1) {
    const first = (d: string): string => describe(shards.find((s) => s.stats.profile.digest === d)!);
    throw mismatch(`--fleet: the shards serve different profiles: ${digests.map(first).join(' but ')}; start every shard with the same profile, --exporters and --format`);
  }
  const coverage = checkCoverage(shards.map((s) => s.shard));
  if (coverage) throw mismatch(`--fleet: ${coverage} (${shards.map((s) => `${s.label} at ${s.url}`).join(', ')})`);
  const digest = digests[0]!;
  const profile = await shardsProfile(shards[0]!, o.profile, o.exporters, timeoutMs);
  const sds = await Promise.all(shards.map(async (s) => ({ s, sd: await get(`${s.url}/sd`, s.url, timeoutMs, sdBodyLimit(s.stats.exporters)) })));
  const groups = await mergeSd(sds, profile.exporters, new TargetHosts(allowed, timeoutMs));
  const here = hostname();
  return { shards, profile, digest, groups, cores: shards.reduce((a, s) => a + s.stats.fleet.cores, 0), onThisHost: shards.some((s) => s.stats.fleet.host === here) };
}

async function readStats(url: string, timeoutMs: number): Promise<RemoteShard> {
  const answer = await get(`${url}/stats`, url, timeoutMs, STATS_BODY_LIMIT);
  const read = readFleetStats(answer);
  if (!read.ok) {
    const v = (answer as { schemaVersion?: unknown })?.schemaVersion;
    throw mismatch(
      typeof v === 'number' && v !== FLEET_STATS_SCHEMA_VERSION
        ? `--fleet ${url}: a fleet of another promsoak version (/stats schemaVersion ${v}; this one reads ${FLEET_STATS_SCHEMA_VERSION})`
        : `--fleet ${url}: not a promsoak fleet (its /stats: ${read.why})`,
    );
  }
  const stats = read.stats;
  const shard = stats.shard ?? WHOLE_FLEET;
  return { url, shard, label: formatShard(shard), stats };
}

async function get(url: string, shard: string, timeoutMs: number, limitBytes: number): Promise<unknown> {
  try {
    return await fetchShardJson(url, timeoutMs, limitBytes);
  } catch (e) {
    if (!(e instanceof ShardFetchError)) throw e;
    if (e.kind === 'unreachable') throw new PromsoakError('PROMSOAK_FLEET_UNREACHABLE', `--fleet ${shard}: the fleet does not answer ${new URL(url).pathname} (${e.message})`);
    throw mismatch(`--fleet ${shard}: not a promsoak fleet (${new URL(url).pathname} answered ${e.message})`);
  }
}

const describe = (s: RemoteShard): string => `shard ${s.label} at ${s.url} serves profile ${visible(s.stats.profile.name)} (${short(s.stats.profile.digest)}, ${s.stats.profile.exporters} exporters)`;
/** A value a shard sent, for a message: JSON (control characters escaped), at most ~70 characters. */
const short = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);

/**
 * The soak's profile: the one named, if its digest (after --exporters) is the shards'; else a
 * local profile of the shards' name with their digest (a replayed capture's needs its file);
 * else the shards' own, from /profile.
 */
async function shardsProfile(first: RemoteShard, given: string | ResolvedProfile | undefined, exporters: number | undefined, timeoutMs: number): Promise<ResolvedProfile> {
  const theirs = first.stats.profile;
  const withExporters = (p: ResolvedProfile): ResolvedProfile => (exporters === undefined ? p : { ...p, exporters });
  if (given !== undefined) {
    const p = withExporters(typeof given === 'string' ? loadProfile(given) : given);
    const mine = profileDigest(p);
    if (mine !== theirs.digest) {
      throw mismatch(
        `profile ${p.name} (${short(mine)}, ${p.exporters} exporters) is not the one the shards serve: ${describe(first)}; ` +
          `leave the profile out to soak theirs, or start the shards with this one`,
      );
    }
    return p;
  }
  if (exporters !== undefined && exporters !== theirs.exporters) {
    throw mismatch(`--exporters ${exporters}: the shards serve ${theirs.exporters} exporters (${describe(first)}); start them with --exporters instead`);
  }
  const local = localNamed(theirs.name);
  if (local && profileDigest(local) === theirs.digest) return local;
  const wire = (await get(`${first.url}/profile`, first.url, timeoutMs, BODY_LIMIT)) as WireProfile;
  if (typeof wire !== 'object' || wire === null || !Array.isArray(wire.families) || wireDigest(wire) !== theirs.digest) {
    throw mismatch(`--fleet ${first.url}: its /profile is not the profile its /stats names (${short(theirs.digest)})`);
  }
  // Its name becomes the run directory's: held to the profile schema's rule, as a file's is.
  const named = profileNameSchema.safeParse(wire.name);
  if (!named.success) throw mismatch(`--fleet ${first.url}: its /profile's name ${preview(wire.name)} ${named.error.issues[0]!.message}`);
  const replay = wire.families.findIndex((f) => f.type === 'replay');
  if (replay >= 0) {
    throw mismatch(`the shards' profile ${visible(theirs.name)} replays a capture (families[${replay}]) that this machine does not have: name the profile's file here (promsoak run <profile.json> --fleet …)`);
  }
  return { ...wire, source: `${first.url}/profile` };
}

/** The shipped profile of that name, when there is one. */
function localNamed(name: string): ResolvedProfile | undefined {
  // A plain name only: what a shard says is never taken as a path on this machine.
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(name)) return undefined;
  try {
    const path = resolveProfilePath(name);
    return existsSync(path) ? loadProfile(path) : undefined;
  } catch {
    return undefined;
  }
}
