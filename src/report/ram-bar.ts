import type { Summary } from '../analysis/summary.js';
import { escape } from './html-kit.js';
import { gcHeadroomOfRssPct } from '../analysis/ram.js';

const MiB = 2 ** 20;

const PARTS = [
  { key: 'liveHeapBytes', label: 'live heap', color: '#1f77b4' },
  { key: 'gcHeadroomBytes', label: 'GC headroom', color: '#d62728' },
  { key: 'offHeapBytes', label: 'off-heap', color: '#ff7f0e' },
  { key: 'runtimeAndRestBytes', label: 'runtime and the rest', color: '#999999' },
] as const;

/**
 * Peak RSS as one stacked bar (summary.json memory.ram, analysis/ram.ts): live heap, GC
 * headroom, off-heap, the runtime and the rest. Nothing when the run did not split it (before
 * schemaVersion 3, or no live heap measured). Every value goes through escape(); widths are
 * numbers this function formats.
 */
export function ramBar(s: Summary): string {
  const r = s.memory.ram;
  if (!r || r.liveHeapBytes === null || r.peakRssBytes <= 0) return '';
  const parts = PARTS.map((p) => ({ ...p, bytes: r[p.key] })).filter((p) => p.bytes !== null && p.bytes > 0);
  const total = parts.reduce((a, p) => a + p.bytes!, 0);
  if (total <= 0) return '';
  const mib = (b: number): string => (b / MiB).toFixed(1);
  const pct = (b: number): string => ((b / total) * 100).toFixed(2);
  const segs = parts
    .map((p) => `<div title="${escape(`${p.label} ${mib(p.bytes!)} MiB`)}" style="width:${escape(pct(p.bytes!))}%;background:${escape(p.color)};height:100%"></div>`)
    .join('');
  const legend = parts
    .map((p) => `<span style="display:inline-block;width:0.8em;height:0.8em;background:${escape(p.color)}"></span> ${escape(`${p.label} ${mib(p.bytes!)} MiB`)}`)
    .join(' &nbsp; ');
  const overhead = s.provisioning.gcRamOverheadPct;
  const share = gcHeadroomOfRssPct(r);
  return (
    `<h2>RAM at peak RSS (${escape(mib(r.peakRssBytes))} MiB)</h2>` +
    `<div class="ram-bar" style="display:flex;width:100%;max-width:60em;height:1.6em;border:1px solid #ccc">${segs}</div>` +
    `<p class="muted">${legend}</p>` +
    `<p class="muted">${escape(`GC adds ${overhead === null ? 'n/a' : `${overhead.toFixed(0)} %`} onto RAM: its headroom over the live heap, ${mib(r.gcHeadroomBytes ?? 0)} MiB${share === null ? '' : `, ${share} % of peak RSS`}.`)}</p>`
  );
}
