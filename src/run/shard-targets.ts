import type { Summary } from '../analysis/summary.js';
import { inShard, parseShard } from '../fleet/shard.js';
import type { TargetStatus } from '../protocol/engine.js';

/**
 * Ties the engine's failed scrapes to the remote shards that served those exporters (from its
 * final target list, whole run): each shard gets its targets' failures by reason and how many
 * were down at the end; for each shard that went down, one verdict line saying its targets
 * failed because it did, and how the other shards' targets fared.
 */
export function shardTargetsVerdict(summary: Summary, targets: TargetStatus[] | undefined): string[] {
  const shards = summary.fleet.shards;
  if (!shards?.length || targets === undefined) return [];
  const of = shards.map((s) => ({ s, shard: parseShard(s.shard), failed: 0, down: 0, byReason: {} as Record<string, number> }));
  for (const t of targets) {
    const id = Number(t.labels.exporter);
    const mine = of.find((x) => Number.isInteger(id) && inShard(id, x.shard));
    if (!mine) continue;
    mine.failed += t.scrapesFailed;
    if (t.health === 'down') mine.down++;
    if (t.scrapesFailed > 0) mine.byReason[t.lastErrorReason || 'unknown'] = (mine.byReason[t.lastErrorReason || 'unknown'] ?? 0) + t.scrapesFailed;
  }
  for (const x of of) Object.assign(x.s, { scrapesFailed: x.failed, failedByReason: x.byReason, targetsDown: x.down });
  const reasons = (by: Record<string, number>): string => Object.entries(by).map(([r, n]) => `${n} ${r}`).join(', ') || 'none';
  return of
    .filter((x) => x.s.downSeconds > 0)
    .map((x) => {
      const others = of.filter((y) => y !== x);
      const otherFailed = others.reduce((a, y) => a + y.failed, 0);
      return (
        `the engine's targets of fleet shard ${x.s.shard}: ${x.down} of ${x.s.exporters} down at the end, ${x.failed} scrapes failed (${reasons(x.byReason)}), the shard's death, not the engine's; ` +
        `the other shards' ${others.reduce((a, y) => a + y.s.exporters, 0)} exporters: ${otherFailed} failed scrapes${otherFailed ? ` (${reasons(merged(others.map((y) => y.byReason)))})` : ''}.`
      );
    });
}

function merged(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const by of all) for (const [r, n] of Object.entries(by)) out[r] = (out[r] ?? 0) + n;
  return out;
}
