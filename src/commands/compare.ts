import ora from 'ora';
import { runCompare, type CompareOptions } from '../compare/compare.js';
import { METRICS, formatStat } from '../compare/aggregate.js';
import { liveLine } from '../report/terminal.js';
import { visible } from '../common/terminal-text.js';
import { DIFFERENCE_HEAD, differenceRows } from '../compare/difference-table.js';

/** Columns padded to their widest cell, the first left-aligned. */
function columns(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), ...rows.map(fmt)];
}

/** `promsoak compare`: prints the side-by-side table and the verdict; Ctrl-C keeps what ran. */
export async function compareCommand(o: Omit<CompareOptions, 'interrupt'>, log: (line: string) => void): Promise<number> {
  const spinner = ora({ text: 'comparing…', stream: process.stderr, isEnabled: process.stderr.isTTY && !process.env.CI });
  let interrupt!: () => void;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  const onSignal = (): void => {
    spinner.text = 'stopping after the current run…';
    interrupt();
  };
  process.once('SIGINT', onSignal);
  let prefix = '';
  let metricsUrl = '';
  // Each run serves its own metrics; the URL is said again only when it changes (port 0).
  const onMetricsUrl = (url: string): void => {
    if (url === metricsUrl) return;
    metricsUrl = url;
    spinner.clear();
    process.stderr.write(`live metrics: ${url}\n`);
  };
  const onFleetEvent = (line: string): void => {
    spinner.clear();
    process.stderr.write(`promsoak: ${visible(line)}\n`);
  };
  try {
    const r = await runCompare(
      { ...o, onMetricsUrl, onFleetEvent, interrupt: interrupted },
      ({ index, total, variant, repeat }) => {
        prefix = `run ${index + 1}/${total}: ${visible(variant.label)} #${repeat + 1}`;
        if (spinner.isEnabled) spinner.start(prefix);
        else process.stderr.write(`${prefix}\n`);
      },
      (p) => (spinner.text = `${prefix}  ${liveLine(p)}`),
    );
    spinner.stop();
    const head = ['variant', 'runs', ...METRICS.map((m) => m.title)];
    const rows = r.results.map((v) => [visible(v.variant.label), String(v.runs.length), ...METRICS.map((m) => formatStat(v.stats[m.key], m.digits))]);
    log(`promsoak compare: median (min–max) over ${o.repeat} repeat${o.repeat === 1 ? '' : 's'}, ${o.together ? 'together (each round\'s variants at the same time)' : 'interleaved'}`);
    for (const line of columns(head, rows)) log(line);
    log('');
    if (r.comparisons.length) {
      log(`differences from the baseline, with intervals that hold together at 95 % (${r.baseline ? 'unpaired, Welch: against the stored baseline' : 'paired by round'}):`);
      for (const line of columns(DIFFERENCE_HEAD, differenceRows(r.comparisons).map((row) => row.map((c) => visible(c))))) log(line);
      log('');
    }
    for (const v of r.verdict) log(`  • ${visible(v, { keepNewlines: true })}`);
    log('');
    log(`  compare directory: ${visible(r.dir)}  (compare.json, compare.html, one run directory per run)`);
    return r.interrupted ? 130 : r.verdict.some((l) => l.startsWith('FAILED')) ? 1 : 0;
  } finally {
    spinner.stop();
    process.off('SIGINT', onSignal);
  }
}
