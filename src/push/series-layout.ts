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
 * Bytes that never change are precomputed in one buffer; labels whose value holds the
 * exporter id or the churn epoch are ops that the encoder writes with the digits spliced in.
 * Shared by all exporters of a thread.
 */
export const JOB = 'promsoak';

export const enum Op {
  /** copy lit[a, b): whole Label fields */
  Literal = 0,
  /** a Label whose value is lit[b, c) + digits + lit[c, e), its name lit[a, b) */
  Exporter = 1,
  Epoch = 2,
}

export interface PushLayout {
  lines: number;
  lit: Uint8Array;
  /** Line i's ops are [opStart[i], opStart[i + 1]). */
  opStart: Int32Array;
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;
  e: Int32Array;
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

/**
 * Per sample line of the model, the labels of its pushed series: the exporter's labels (one
 * named like a scrape label renamed `exported_<name>`, none with an empty value), `__name__`, and the scrape labels,
 * sorted by name bytes; a value holding SPLICE gets the exporter id or churn epoch there
 * (the third element says which). The 1.0 layout and the 2.0 symbol layout are built from it.
 */
export function pushLabelSets(model: ExporterModel): [string, string, SpliceKind][][] {
  const sets: [string, string, SpliceKind][][] = [];
  for (const fam of model.families) {
    for (const line of fam.lines) {
      // A label with an empty value is no label (Prometheus's labels.Builder drops it on a
      // scrape; receivers such as Thanos refuse a series that has one): left out.
      const labels: [string, string, SpliceKind][] = line.labels
        .filter(([, v]) => v !== '')
        .map(([n, v]) => [SCRAPE_LABELS.includes(n) || n === '__name__' ? `exported_${n}` : n, v, v.includes(SPLICE) ? line.splice : SpliceKind.None]);
      labels.push(
        ['__name__', fam.name + line.suffix, SpliceKind.None],
        ['job', JOB, SpliceKind.None],
        ['instance', `exporter-${SPLICE}`, SpliceKind.Exporter],
        ['exporter', SPLICE, SpliceKind.Exporter],
      );
      labels.sort(([x], [y]) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
      for (let k = 1; k < labels.length; k++) {
        if (labels[k]![0] === labels[k - 1]![0]) throw new Error(`series ${fam.name}${line.suffix} has label ${labels[k]![0]} twice`);
      }
      sets.push(labels);
    }
  }
  return sets;
}

export function buildPushLayout(model: ExporterModel): PushLayout {
  const bytes: number[] = [];
  const lines = model.lines;
  const opStart = new Int32Array(lines + 1);
  const ops: number[][] = [[], [], [], [], []];
  const literal = new Float64Array(lines);
  const churned = new Uint8Array(lines);
  const kind = new Uint8Array(lines);
  const key = new Uint32Array(lines);
  const rate = new Float64Array(lines);
  const aux = new Float64Array(lines);
  const base = new Float64Array(lines);
  let maxSeriesBytes = 0;
  const sets = pushLabelSets(model);
  const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  let i = 0;
  for (const fam of model.families) {
    for (const line of fam.lines) {
      const labels = sets[i]!;
      opStart[i] = ops[0]!.length;
      const lineStart = bytes.length;
      let run = -1; // start of the current run of literal labels in `bytes`
      const closeRun = (): void => {
        if (run >= 0) {
          ops[0]!.push(Op.Literal);
          ops[1]!.push(run);
          ops[2]!.push(bytes.length);
          ops[3]!.push(0);
          ops[4]!.push(0);
          run = -1;
        }
      };
      for (const [n, v, kind] of labels) {
        if (kind === SpliceKind.None) {
          if (run < 0) run = bytes.length;
          const name = utf8(n);
          const value = utf8(v);
          const inner = [0x0a, ...varint(name.length), ...name, 0x12, ...varint(value.length), ...value];
          bytes.push(0x0a, ...varint(inner.length), ...inner);
          continue;
        }
        closeRun();
        const cut = v.indexOf(SPLICE);
        const a = bytes.length;
        bytes.push(...utf8(n));
        const b = bytes.length;
        bytes.push(...utf8(v.slice(0, cut)));
        const c = bytes.length;
        bytes.push(...utf8(v.slice(cut + 1)));
        ops[0]!.push(kind === SpliceKind.Exporter ? Op.Exporter : Op.Epoch);
        ops[1]!.push(a);
        ops[2]!.push(b);
        ops[3]!.push(c);
        ops[4]!.push(bytes.length);
      }
      closeRun();
      literal[i] = line.kind === ValueKind.Literal ? parseValue(line.literal ?? 'NaN') : 0;
      churned[i] = line.churned ? 1 : 0;
      kind[i] = line.kind;
      key[i] = line.key;
      rate[i] = line.rate;
      aux[i] = line.aux;
      base[i] = line.base;
      // Each spliced label: its key and two lengths (≤ 3 bytes each) and up to 16 digits.
      const spliced = labels.filter(([, , k]) => k !== SpliceKind.None).length;
      const labelBytes = bytes.length - lineStart + spliced * (1 + 3 + 1 + 3 + 1 + 3 + 16);
      // TimeSeries key + length, the sample's key + length + value + timestamp.
      maxSeriesBytes = Math.max(maxSeriesBytes, 1 + 5 + labelBytes + 2 + 1 + 8 + 1 + 10);
      i++;
    }
  }
  opStart[lines] = ops[0]!.length;
  return {
    lines,
    lit: Uint8Array.from(bytes),
    opStart,
    op: Uint8Array.from(ops[0]!),
    a: Int32Array.from(ops[1]!),
    b: Int32Array.from(ops[2]!),
    c: Int32Array.from(ops[3]!),
    e: Int32Array.from(ops[4]!),
    literal,
    churned,
    kind,
    key,
    rate,
    aux,
    base,
    maxSeriesBytes,
    labelsOf: (k, exporter, epoch) =>
      sets[k]!.map(([n, v, kind]) => [n, kind === SpliceKind.None ? v : v.replace(SPLICE, String(kind === SpliceKind.Exporter ? exporter : epoch))]),
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
