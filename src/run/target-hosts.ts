import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where a remote shard may send the engine: its /sd's targets must be on the shard's own host
 * (the host of the URL given to --fleet), or on a host the user named (--allow-target-hosts).
 * Hosts are compared by address: each name is resolved (dns.lookup, every address) and every
 * address of a target's host must be one of the shard's or an allowed host's. The names
 * `localhost`, `127.0.0.1` and `::1` are taken as one host (loopback), whatever /etc/hosts
 * says; any other loopback address (127.0.0.2) is a host of its own.
 */
export class TargetHosts {
  private readonly resolved = new Map<string, Promise<string[] | string>>();

  constructor(
    /** Hosts named by --allow-target-hosts. */
    private readonly allowed: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  /** Why `target` (`host:port`) may not be scraped for the shard at `shardUrl`, or undefined when it may. */
  async refuse(shardUrl: string, target: string): Promise<string | undefined> {
    const host = hostOf(target);
    const own = hostOf(new URL(shardUrl).host);
    if (host === own || this.allowed.some((a) => hostOf(a) === host)) return undefined;
    const theirs = await this.addresses(host);
    if (typeof theirs === 'string') return `a target on ${host}, which ${theirs}`;
    const ok = new Set<string>();
    for (const h of [own, ...this.allowed]) {
      const a = await this.addresses(hostOf(h));
      if (typeof a !== 'string') for (const x of a) ok.add(x);
    }
    if (theirs.every((a) => ok.has(a))) return undefined;
    return `a target on ${host}, not on the shard's own host ${own}`;
  }

  /** The addresses of `host` (loopback as one), or why it has none (a phrase). */
  private addresses(host: string): Promise<string[] | string> {
    let p = this.resolved.get(host);
    if (!p) this.resolved.set(host, (p = resolve(host, this.timeoutMs)));
    return p;
  }
}

const LOOPBACK = 'loopback';

/** The host of `host[:port]` (an IPv6 address without its brackets), lower case. */
function hostOf(hostPort: string): string {
  const s = hostPort.trim().toLowerCase();
  if (s.startsWith('[')) return s.slice(1, s.indexOf(']') < 0 ? undefined : s.indexOf(']'));
  if (isIP(s) === 6) return s;
  const colon = s.lastIndexOf(':');
  return colon < 0 ? s : s.slice(0, colon);
}

function canonical(address: string): string {
  const a = address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return a === '127.0.0.1' || a === '::1' ? LOOPBACK : a;
}

async function resolve(host: string, timeoutMs: number): Promise<string[] | string> {
  if (host === 'localhost') return [LOOPBACK];
  if (isIP(host)) return [canonical(host)];
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host, { all: true }),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
    ]);
    if (found === 'timeout') return `does not resolve within ${timeoutMs} ms`;
    return found.length ? found.map((a) => canonical(a.address)) : 'has no address';
  } catch (e) {
    return `does not resolve (${(e as { code?: string }).code ?? (e as Error).message})`;
  } finally {
    clearTimeout(timer);
  }
}
