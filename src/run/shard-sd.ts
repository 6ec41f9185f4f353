import { z } from 'zod';
import { PromsoakError } from '../common/errors.js';
import { describeIssue } from '../common/schema-issue.js';
import { inShard, type Shard } from '../fleet/shard.js';
import type { TargetGroup } from '../fleet/sd.js';
import type { TargetHosts } from './target-hosts.js';

/** A target as Prometheus's file_sd has it: `host:port`, an IPv6 host in brackets. */
const target = z
  .string()
  .max(300)
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, { error: 'must be host:port' });

/** A shard's /sd: what file_sd holds, each group with one exporter's labels. */
const sdSchema = z.array(
  z.object({
    targets: z.array(target).min(1).max(16),
    labels: z.record(z.string().max(200), z.string().max(1000)).refine((l) => Object.keys(l).length <= 64, { error: 'must have at most 64 labels' }),
  }),
);

/** The shard an /sd came from (a RemoteShard). */
interface SdSource {
  url: string;
  shard: Shard;
  label: string;
  stats: { exporters: number };
}

const mismatch = (message: string): PromsoakError => new PromsoakError('PROMSOAK_FLEET_MISMATCH', message);

/**
 * Every shard's /sd into one list: each a list of target groups (sdSchema), each listing
 * exactly its own exporters on its own host (TargetHosts), together every exporter once.
 * Anything else is one line naming the shard, exit 2.
 */
export async function mergeSd(lists: { s: SdSource; sd: unknown }[], exporters: number, hosts: TargetHosts): Promise<TargetGroup[]> {
  const byId = new Map<number, TargetGroup>();
  for (const { s, sd: answer } of lists) {
    const parsed = sdSchema.safeParse(answer, { reportInput: true });
    if (!parsed.success) throw mismatch(`--fleet ${s.url}: its /sd is not a list of target groups: ${describeIssue(parsed.error.issues[0]!)}`);
    const sd = parsed.data;
    for (const g of sd) {
      const id = Number(g.labels.exporter);
      const ok = /^\d{1,9}$/.test(g.labels.exporter ?? '') && id < exporters && inShard(id, s.shard);
      if (!ok) throw mismatch(`--fleet ${s.url}: its /sd lists a target that is not shard ${s.label}'s (${JSON.stringify(g).slice(0, 80)})`);
      if (byId.has(id)) throw mismatch(`--fleet ${s.url}: exporter ${id} is listed twice in the shards' /sd`);
      for (const t of g.targets) {
        const why = await hosts.refuse(s.url, t);
        if (why) throw mismatch(`--fleet ${s.url}: its /sd lists ${why} (exporter ${id}); the engine scrapes only the shard's host unless told: --allow-target-hosts ${t.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')}`);
      }
      byId.set(id, g);
    }
    if (sd.length !== s.stats.exporters) throw mismatch(`--fleet ${s.url}: its /sd lists ${sd.length} targets, its /stats says it serves ${s.stats.exporters}`);
  }
  return [...byId.keys()].sort((a, b) => a - b).map((id) => byId.get(id)!);
}
