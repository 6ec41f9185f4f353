import type { Comparison } from './comparisons.js';
import { formatDifference, wordText } from './differences.js';
import { FIGURES } from './figures.js';

/**
 * The differences as one table for the terminal and compare.html: a row per variant and figure,
 * the baseline's and the variant's means, the difference with its 95 % interval, and the word.
 */
export const DIFFERENCE_HEAD = ['variant', 'vs', 'figure', 'baseline', 'variant mean', 'difference [simultaneous 95 %]', 'reads'];

export function differenceRows(comparisons: Comparison[]): string[][] {
  const rows: string[][] = [];
  for (const c of comparisons) {
    for (const d of c.figures) {
      const digits = FIGURES.find((f) => f.id === d.figure)?.digits ?? 2;
      const unit = FIGURES.find((f) => f.id === d.figure)?.unit ?? '';
      const show = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(digits)}${unit && unit !== 'points' ? ` ${unit}` : unit === 'points' ? ' %' : ''}` : 'n/a');
      rows.push([
        c.control ? `${c.label} (A/A: what no change reads)` : c.label,
        `${c.against} (${c.design})`,
        d.title,
        show(d.baseMean),
        show(d.mean),
        `${formatDifference(d)}${d.absoluteWhy ? ' (absolute)' : ''}`,
        wordText(d),
      ]);
    }
  }
  return rows;
}
