import type { ExporterModel } from '../fleet/render/lines.js';
import { SPLICE, SpliceKind, ValueKind } from '../fleet/render/lines.js';

/**
 * The exporter model laid out for remote write: per sample line, its series' labels as the
 * protobuf bytes of `repeated Label labels = 1`, sorted by name with `__name__` among them,
 * plus the labels a scrape would add (`job`, `instance`, `exporter`, as the fleet's service
 * discovery gives them), so a pushed series is the series a scrape of the same exporter
 * stores. A label the exporter exposes under one of those names is renamed `exported_<name>`,
 * as Prometheus does with honor_labels off.
 *
 * Bytes that never change are precomputed in one buffer (`lit`). A label whose value holds
 * the exporter id or the churn epoch is a *template* (its name, the value's text before and
 * after the digits), shared by every line that has it: the encoder writes each template's
 * whole Label field once per exporter, then copies it into every line, so a line is a few
 * byte-range copies. Shared by all exporters of a thread.
 */
export const JOB = 'promsoak';

export interface PushLayout {
  lines: number;
  lit: Uint8Array;
  /** Line i's ops are [opStart[i], opStart[i + 1]): op ≥ 0 copies lit[a, b); op < 0 is template −op − 1. */
  opStart: Int32Array;
  op: Int32Array;
  a: Int32Array;
  b: Int32Array;
  /** Literal bytes of line i's labels (the templates' bytes are added per exporter). */
  litBytes: Int32Array;
  /** Templates: name lit[name, pre), value lit[pre, suf) + digits + lit[suf, end); kind Exporter or Epoch. */
  templates: number;
  tName: Int32Array;
  tPre: Int32Array;
  tSuf: Int32Array;
  tEnd: Int32Array;
  tKind: Uint8Array;
  /** The most bytes one template's Label field takes (its digits at most 16). */
  maxTemplateBytes: number;
  /** Literal values (replayed gauges), parsed once. */
  literal: Float64Array;
  /** How line i's value is computed (lines.ts ValueKind) and its parameters, as the renderer's. */
  kind: Uint8Array;
  key: Uint32Array;
  rate: Float64Array;
  aux: Float64Array;
  base: Float64Array;
  /** The most bytes one line's TimeSeries (labels, one sample, its field key and length) takes. */
  maxSeriesBytes: number;
  /** Sample lines of churned series (a stale marker goes to their old epoch when it turns). */
  churned: Uint8Array;
  /** The label names and values of line i, for tests and tools (not the hot path). */
  labelsOf(i: number, exporter: number, epoch: number): [string, string][];
}

const SCRAPE_LABELS = ['job', 'instance', 'exporter'];
/** Digits of an exporter id or an epoch (below 2^53), and the varints around a Label's parts. */
const MAX_DIGITS = 16;

export function buildPushLayout(model: ExporterModel): PushLayout {
  const bytes: number[] = [];
  const lines = model.lines;
  const opStart = new Int32Array(lines + 1);
  const op: number[] = [];
  const opA: number[] = [];
  const opB: number[] = [];
  const litBytes = new Int32Array(lines);
  const tpl = new Map<string, number>();
  const t: number[][] = [[], [], [], [], []];
  const literal = new Float64Array(lines);
  const churned = new Uint8Array(lines);
  const kind = new Uint8Array(lines);
  const key = new Uint32Array(lines);
  const rate = new Float64Array(lines);
  const aux = new Float64Array(lines);
  const base = new Float64Array(lines);
  let maxSeriesBytes = 0;
  let maxTemplateBytes = 0;
  const sets: [string, string, SpliceKind][][] = [];
  const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  const template = (n: string, v: string, k: SpliceKind): number => {
    const id = `${k}\u0000${n}\u0000${v}`;
    let x = tpl.get(id);
    if (x === undefined) {
      x = tpl.size;
      tpl.set(id, x);
      const cut = v.indexOf(SPLICE);
      t[0]!.push(bytes.length);
      bytes.push(...utf8(n));
      t[1]!.push(bytes.length);
      bytes.push(...utf8(v.slice(0, cut)));
      t[2]!.push(bytes.length);
      bytes.push(...utf8(v.slice(cut + 1)));
      t[3]!.push(bytes.length);
      t[4]!.push(k);
      const inner = 2 * 3 + 2 + (t[3]![x]! - t[0]![x]!) + MAX_DIGITS;
      maxTemplateBytes = Math.max(maxTemplateBytes, 1 + 3 + inner);
    }
    return x;
  };
  let i = 0;
  for (const fam of model.families) {
    for (const line of fam.lines) {
      const labels: [string, string, SpliceKind][] = line.labels.map(([n, v]) => [
        SCRAPE_LABELS.includes(n) || n === '__name__' ? `exported_${n}` : n,
        v,
        v.includes(SPLICE) ? line.splice : SpliceKind.None,
      ]);
      labels.push(
        ['__name__', fam.name + line.suffix, SpliceKind.None],
        ['job', JOB, SpliceKind.None],
        ['instance', `exporter-${SPLICE}`, SpliceKind.Exporter],
        ['exporter', SPLICE, SpliceKind.Exporter],
      );
      labels.sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      for (let k = 1; k < labels.length; k++) {
        if (labels[k]![0] === labels[k - 1]![0]) throw new Error(`series ${fam.name}${line.suffix} has label ${labels[k]![0]} twice`);
      }
      sets.push(labels);
      opStart[i] = op.length;
      let run = -1; // start of the current run of literal labels in `bytes`
      let lit = 0;
      let spliced = 0;
      const closeRun = (): void => {
        if (run >= 0) {
          op.push(0);
          opA.push(run);
          opB.push(bytes.length);
          lit += bytes.length - run;
          run = -1;
        }
      };
      for (const [n, v, k] of labels) {
        if (k === SpliceKind.None) {
          if (run < 0) run = bytes.length;
          const name = utf8(n);
          const value = utf8(v);
          const inner = [0x0a, ...varint(name.length), ...name, 0x12, ...varint(value.length), ...value];
          bytes.push(0x0a, ...varint(inner.length), ...inner);
          continue;
        }
        closeRun();
        const x = template(n, v, k);
        op.push(-x - 1);
        opA.push(0);
        opB.push(0);
        spliced++;
      }
      closeRun();
      litBytes[i] = lit;
      literal[i] = line.kind === ValueKind.Literal ? parseValue(line.literal ?? 'NaN') : 0;
      churned[i] = line.churned ? 1 : 0;
      kind[i] = line.kind;
      key[i] = line.key;
      rate[i] = line.rate;
      aux[i] = line.aux;
      base[i] = line.base;
      // TimeSeries key + length (≤ 5), the labels, the sample's key + length + value + timestamp.
      maxSeriesBytes = Math.max(maxSeriesBytes, 1 + 5 + lit + spliced * maxTemplateBytes + 2 + 1 + 8 + 1 + 10);
      i++;
    }
  }
  opStart[lines] = op.length;
  return {
    lines,
    lit: Uint8Array.from(bytes),
    opStart,
    op: Int32Array.from(op),
    a: Int32Array.from(opA),
    b: Int32Array.from(opB),
    litBytes,
    templates: tpl.size,
    tName: Int32Array.from(t[0]!),
    tPre: Int32Array.from(t[1]!),
    tSuf: Int32Array.from(t[2]!),
    tEnd: Int32Array.from(t[3]!),
    tKind: Uint8Array.from(t[4]!),
    maxTemplateBytes,
    literal,
    churned,
    kind,
    key,
    rate,
    aux,
    base,
    maxSeriesBytes,
    labelsOf: (k, exporter, epoch) =>
      sets[k]!.map(([n, v, sk]) => [n, sk === SpliceKind.None ? v : v.replace(SPLICE, String(sk === SpliceKind.Exporter ? exporter : epoch))]),
  };
}

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** A value as the text format writes it (`+Inf`, `NaN`, `1e-07`). */
function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}
