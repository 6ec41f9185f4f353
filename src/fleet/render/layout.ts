import { MAX_VALUE_BYTES } from './number-writer.js';
import { SPLICE, SpliceKind, ValueKind, type ExporterModel, type FamilyModel } from './lines.js';

/**
 * A model laid out as bytes for one exposition format: every byte that does not change
 * between scrapes (HELP/TYPE lines, names, label sets) precomputed in one buffer, and per
 * sample line the ranges to copy and the parameters of its value, in flat typed arrays.
 * Shared by all exporters; the renderer only copies ranges and writes numbers.
 */
export type Format = 'text' | 'openmetrics';

export const CONTENT_TYPE: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export interface Layout {
  format: Format;
  lines: number;
  lit: Buffer;
  /** Line i: copy lit[start[i], split[i]), splice digits, copy lit[split[i], end[i]), value, then the next line's literal begins with '\n'. */
  start: Int32Array;
  split: Int32Array;
  end: Int32Array;
  splice: Uint8Array;
  kind: Uint8Array;
  churned: Uint8Array;
  key: Uint32Array;
  rate: Float64Array;
  aux: Float64Array;
  base: Float64Array;
  /** Literal value text for ValueKind.Literal lines lives in lit too. */
  valueStart: Int32Array;
  valueEnd: Int32Array;
  trailerStart: number;
  trailerEnd: number;
  /** An upper bound of a rendered body's size. */
  maxBytes: number;
}

export function buildLayout(model: ExporterModel, format: Format): Layout {
  const om = format === 'openmetrics';
  const n = model.lines;
  const parts: string[] = [];
  let pos = 0; // in bytes
  const push = (s: string): void => {
    parts.push(s);
    pos += Buffer.byteLength(s);
  };
  const L: Layout = {
    format,
    lines: n,
    lit: Buffer.alloc(0),
    start: new Int32Array(n),
    split: new Int32Array(n),
    end: new Int32Array(n),
    splice: new Uint8Array(n),
    kind: new Uint8Array(n),
    churned: new Uint8Array(n),
    key: new Uint32Array(n),
    rate: new Float64Array(n),
    aux: new Float64Array(n),
    base: new Float64Array(n),
    valueStart: new Int32Array(n),
    valueEnd: new Int32Array(n),
    trailerStart: 0,
    trailerEnd: 0,
    maxBytes: 0,
  };
  let i = 0;
  let pending = ''; // header lines of a family with no samples, carried to the next literal
  let first = true;
  const names = new Set(model.families.map((f) => f.name));
  for (const modelFam of model.families) {
    const fam = om ? openMetricsFamily(modelFam, names) : modelFam;
    const header = familyHeader(fam, om);
    if (fam.lines.length === 0) {
      pending += header;
      continue;
    }
    fam.lines.forEach((line, j) => {
      let text = first ? '' : '\n';
      first = false;
      if (j === 0) text += pending + header;
      if (j === 0) pending = '';
      text += sampleName(fam, line.suffix, om);
      if (line.labels.length > 0) {
        text += '{' + line.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',') + '}';
      }
      text += ' ';
      const cut = text.indexOf(SPLICE);
      L.start[i] = pos;
      if (cut >= 0) {
        push(text.slice(0, cut));
        L.split[i] = pos;
        push(text.slice(cut + 1));
      } else {
        push(text);
        L.split[i] = pos;
      }
      L.end[i] = pos;
      if (line.kind === ValueKind.Literal) {
        L.valueStart[i] = pos;
        push(line.literal ?? 'NaN');
        L.valueEnd[i] = pos;
      }
      L.splice[i] = cut >= 0 ? line.splice : SpliceKind.None;
      L.kind[i] = line.kind;
      L.churned[i] = line.churned ? 1 : 0;
      L.key[i] = line.key;
      L.rate[i] = line.rate;
      L.aux[i] = line.aux;
      L.base[i] = line.base;
      i++;
    });
  }
  L.trailerStart = pos;
  push((first ? '' : '\n') + pending + (om ? '# EOF\n' : ''));
  L.trailerEnd = pos;
  L.lit = Buffer.from(parts.join(''), 'utf8');
  L.maxBytes = L.lit.length + n * (MAX_VALUE_BYTES + 12);
  return L;
}

function familyHeader(fam: FamilyModel, om: boolean): string {
  const name = om ? omFamilyName(fam) : fam.name;
  const type = om && fam.type === 'untyped' ? 'unknown' : fam.type;
  const help = fam.help === '' ? '' : `# HELP ${name} ${escapeHelp(fam.help, om)}\n`;
  return `${help}# TYPE ${name} ${type}\n`;
}

/**
 * A counter whose OpenMetrics family name (without `_total`) is another family's name
 * (node_exporter's go_memstats_alloc_bytes gauge beside go_memstats_alloc_bytes_total) would
 * repeat that family's metadata, which OpenMetrics forbids; it is served as `unknown` under
 * its full name instead, so its series keep their names.
 */
function openMetricsFamily(fam: FamilyModel, names: Set<string>): FamilyModel {
  if (fam.type === 'counter' && fam.name.endsWith('_total') && names.has(fam.name.slice(0, -6))) {
    return { ...fam, type: 'untyped' };
  }
  return fam;
}

/** OpenMetrics names a counter family without `_total` and its sample with it. */
function omFamilyName(fam: FamilyModel): string {
  return fam.type === 'counter' && fam.name.endsWith('_total') ? fam.name.slice(0, -6) : fam.name;
}

function sampleName(fam: FamilyModel, suffix: string, om: boolean): string {
  if (om && fam.type === 'counter') return omFamilyName(fam) + '_total';
  return fam.name + suffix;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

function escapeHelp(v: string, om: boolean): string {
  return v.replace(om ? /[\\"\n]/g : /[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}
