import { listProfileFiles, loadProfile } from '../profile/load.js';
import { buildModel } from '../fleet/render/model.js';

/** `promsoak profiles`: the shipped profiles with their shape. */
export function profilesCommand(log: (line: string) => void): void {
  const rows = listProfileFiles().map((file) => {
    const p = loadProfile(file);
    const series = buildModel(p).lines;
    return [p.name, String(p.exporters), String(series), `${p.scrapeIntervalSeconds}s`, p.description];
  });
  const head = ['profile', 'exporters', 'series/exp', 'interval', 'description'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  log(fmt(head));
  for (const r of rows) log(fmt(r));
}
