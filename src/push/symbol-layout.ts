import type { ExporterModel, FamilyType } from '../fleet/render/lines.js';
import { SPLICE, SpliceKind } from '../fleet/render/lines.js';
import { pushLabelSets } from './series-layout.js';
import { varintSize } from './proto.js';

/**
 * The exporter model laid out for remote write 2.0 (`io.prometheus.write.v2.Request`): every
 * string a request can hold that does not depend on the exporter (label names, literal label
 * values, help texts) gets a layout-wide symbol id once, here; a label value with the
 * exporter id or churn epoch spliced in is a template (the bytes before and after the
 * digits), interned per request by the encoder (request-symbols.ts). Per sample line: its
 * labels as (name, value) symbol pairs, sorted by name bytes as 1.0's are, and its metadata.
 * Shared by all exporters of a thread; built once per model.
 */
export interface SymbolLayout {
  lines: number;
  /** Literal symbol g's UTF-8 bytes are bytes[symStart[g], symStart[g + 1]). */
  bytes: Uint8Array;
  symStart: Int32Array;
  /** Literal symbols. */
  symbols: number;
  /** Template t's bytes before the digits: bytes[tplStart[t], tplSplit[t]); after: bytes[tplSplit[t], tplEnd[t]). */
  tplStart: Int32Array;
  tplSplit: Int32Array;
  tplEnd: Int32Array;
  /**
   * Line i's labels_refs are refs[refStart[i], refStart[i + 1]), name then value: r ≥ 0 a
   * literal symbol; r < 0 a spliced value, x = -r - 1: template x >> 1, with the exporter id
   * (x & 1 = 0) or the churn epoch (x & 1 = 1).
   */
  refStart: Int32Array;
  refs: Int32Array;
  /** Metadata.MetricType of line i's family (0 for untyped), and its help's literal symbol (-1 for none). */
  metaType: Uint8Array;
  helpSym: Int32Array;
  /** The most refs one line has, and the most of them spliced. */
  maxRefs: number;
  maxSpliced: number;
  /** The longest template's bytes (prefix and suffix). */
  maxTemplateBytes: number;
  /** The bytes of all literal symbols as Request.symbols fields (key, length, bytes). */
  allSymbolsBytes: number;
  /**
   * Literal symbols that read as a template with a number spliced in (a label value "200" and
   * exporter 200's `exporter` label): for template t, the numbers matchNum[matchStart[t],
   * matchStart[t + 1]) ascending and their literal symbols matchSym; the encoder gives such a
   * spliced value the literal's id, so no string is in a request's symbols twice.
   */
  matchStart: Int32Array;
  matchNum: Float64Array;
  matchSym: Int32Array;
}

/** Metadata.MetricType (types.proto of write/v2). */
const METRIC_TYPE: Record<FamilyType, number> = { counter: 1, gauge: 2, histogram: 3, summary: 5, untyped: 0 };

const cache = new WeakMap<ExporterModel, SymbolLayout>();

/** The model's 2.0 layout, built on first use and shared by every encoder of the model. */
export function symbolLayoutOf(model: ExporterModel): SymbolLayout {
  let l = cache.get(model);
  if (!l) cache.set(model, (l = buildSymbolLayout(model)));
  return l;
}

export function buildSymbolLayout(model: ExporterModel): SymbolLayout {
  const sets = pushLabelSets(model);
  const chunks: Buffer[] = [];
  let size = 0;
  const symStart: number[] = [0];
  const literal = new Map<string, number>();
  const lit = (s: string): number => {
    let g = literal.get(s);
    if (g === undefined) {
      const b = Buffer.from(s, 'utf8');
      chunks.push(b);
      size += b.length;
      g = literal.size;
      literal.set(s, g);
      symStart.push(size);
    }
    return g;
  };
  // Templates after the literal symbols in `bytes`: collected first, laid out at the end.
  const templates = new Map<string, number>();
  const tplParts: [string, string][] = [];
  const tpl = (v: string): number => {
    const cut = v.indexOf(SPLICE);
    let t = templates.get(v);
    if (t === undefined) {
      t = tplParts.length;
      templates.set(v, t);
      tplParts.push([v.slice(0, cut), v.slice(cut + 1)]);
    }
    return t;
  };
  const refStart = new Int32Array(model.lines + 1);
  const refs: number[] = [];
  const metaType = new Uint8Array(model.lines);
  const helpSym = new Int32Array(model.lines);
  let maxRefs = 0;
  let maxSpliced = 0;
  let i = 0;
  for (const fam of model.families) {
    for (let j = 0; j < fam.lines.length; j++, i++) {
      refStart[i] = refs.length;
      let spliced = 0;
      for (const [n, v, kind] of sets[i]!) {
        refs.push(lit(n));
        if (kind === SpliceKind.None) refs.push(lit(v));
        else {
          refs.push(-((tpl(v) << 1) + (kind === SpliceKind.Epoch ? 1 : 0)) - 1);
          spliced++;
        }
      }
      maxRefs = Math.max(maxRefs, refs.length - refStart[i]!);
      maxSpliced = Math.max(maxSpliced, spliced);
      metaType[i] = METRIC_TYPE[fam.type];
      helpSym[i] = fam.help === '' ? -1 : lit(fam.help);
    }
  }
  refStart[model.lines] = refs.length;
  let allSymbolsBytes = 0;
  for (let g = 0; g < literal.size; g++) {
    const n = symStart[g + 1]! - symStart[g]!;
    allSymbolsBytes += 1 + varintSize(n) + n;
  }
  const tplStart = new Int32Array(tplParts.length);
  const tplSplit = new Int32Array(tplParts.length);
  const tplEnd = new Int32Array(tplParts.length);
  let maxTemplateBytes = 0;
  tplParts.forEach(([before, after], t) => {
    const b = Buffer.from(before, 'utf8');
    const a = Buffer.from(after, 'utf8');
    tplStart[t] = size;
    chunks.push(b, a);
    tplSplit[t] = size + b.length;
    size += b.length + a.length;
    tplEnd[t] = size;
    maxTemplateBytes = Math.max(maxTemplateBytes, b.length + a.length);
  });
  const matchStart = new Int32Array(tplParts.length + 1);
  const matches: [number, number][] = [];
  tplParts.forEach(([before, after], t) => {
    matchStart[t] = matches.length;
    const found: [number, number][] = [];
    for (const [s, g] of literal) {
      if (s.length <= before.length + after.length || !s.startsWith(before) || !s.endsWith(after)) continue;
      const mid = s.slice(before.length, s.length - after.length);
      if (/^(0|[1-9][0-9]{0,14})$/.test(mid)) found.push([Number(mid), g]);
    }
    matches.push(...found.sort(([a], [b]) => a - b));
  });
  matchStart[tplParts.length] = matches.length;
  return {
    lines: model.lines,
    bytes: new Uint8Array(Buffer.concat(chunks, size)),
    symStart: Int32Array.from(symStart),
    symbols: literal.size,
    tplStart,
    tplSplit,
    tplEnd,
    refStart,
    refs: Int32Array.from(refs),
    metaType,
    helpSym,
    maxRefs,
    maxSpliced,
    maxTemplateBytes,
    allSymbolsBytes,
    matchStart,
    matchNum: Float64Array.from(matches, ([n]) => n),
    matchSym: Int32Array.from(matches, ([, g]) => g),
  };
}
