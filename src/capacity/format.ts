/** How capacity's words write a figure: a rate as 512k, a share as 97.1 %, bytes as 1.2 GiB. */

/** A count or a rate with a k/M/G suffix, three significant figures ("512k", "1.25M", "980"). */
export function count(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const [d, s] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${trim(v / d)}${s}`;
}

/** Three significant figures, no trailing zeros. */
function trim(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/** A ratio as a percentage to a tenth ("97.1 %"). */
export const pct = (ratio: number): string => `${(Math.round(ratio * 1000) / 10).toFixed(1)} %`;

/** Bytes in binary units ("1.2 GiB", "640 MiB"). */
export function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${trim(x)} ${units[i]}`;
}

/** Milliseconds as seconds past a second ("1.42 s"), else ms ("250 ms"). */
export const duration = (ms: number): string => (ms >= 1000 ? `${trim(ms / 1000)} s` : `${trim(ms)} ms`);

/** Cores to two decimals. */
export const cores = (v: number): string => v.toFixed(2);

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
