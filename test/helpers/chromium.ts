import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './tools.js';

export const chromium = which('chromium') ?? which('chromium-browser');

/** Flags that keep headless Chromium off the network (this machine has none) and quiet. */
function flags(): string[] {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'promsoak-chromium-'))}`,
    '--virtual-time-budget=5000',
  ];
}

/** The page's DOM after its scripts ran. */
export function dumpDom(file: string): string {
  const r = spawnSync(chromium!, [...flags(), '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

export function screenshot(file: string, png: string, width = 1200, height = 2400): void {
  spawnSync(chromium!, [...flags(), `--screenshot=${png}`, `--window-size=${width},${height}`, '--hide-scrollbars', `file://${file}`], { timeout: 60_000 });
}
