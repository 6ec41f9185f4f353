import { PromsoakError } from '../../common/errors.js';
import { hashString, mix2, unit } from '../../common/hash.js';
import { readReplayFile } from '../../profile/replay-file.js';
import { SPLICE, SpliceKind, ValueKind, type FamilyModel, type FamilyType, type LineModel } from './lines.js';

/**
 * The replay family: a captured text-format exposition (a real node_exporter's /metrics,
 * say) served by every exporter with an instance label of its own, counters advancing.
 * Parsed once at start-up, so clarity wins over speed here; the engine's parser is the fast one.
 */
export function loadReplay(file: string, instanceLabel: string, counterRate: number, seed: number): FamilyModel[] {
  const text = readReplayFile(file).toString('utf8');
  const families: FamilyModel[] = [];
  const byName = new Map<string, FamilyModel>();
  const helps = new Map<string, string>();
  let current: FamilyModel | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line === '') return;
    const where = `${file}:${i + 1}`;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, what, name, rest = ''] = m;
      if (what === 'HELP') {
        helps.set(name!, unescapeHelp(rest));
        const fam = byName.get(name!);
        if (fam) fam.help = unescapeHelp(rest);
        return;
      }
      const type = rest.trim() as FamilyType;
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) {
        throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}: unknown metric type "${rest.trim()}"`);
      }
      current = { name: name!, type, help: helps.get(name!) ?? '', lines: [] };
      families.push(current);
      byName.set(name!, current);
      return;
    }
    const sample = parseSampleLine(line, where);
    let fam = current && belongsTo(current, sample.name) ? current : undefined;
    if (!fam) {
      fam = { name: sample.name, type: 'untyped', help: helps.get(sample.name) ?? '', lines: [] };
      families.push(fam);
      byName.set(sample.name, fam);
      current = fam;
    }
    fam.lines.push(toLine(fam, sample, instanceLabel, counterRate, seed));
  });
  return families;
}

function belongsTo(fam: FamilyModel, sampleName: string): boolean {
  if (sampleName === fam.name) return true;
  if (fam.type === 'histogram') return sampleName === fam.name + '_bucket' || sampleName === fam.name + '_sum' || sampleName === fam.name + '_count';
  if (fam.type === 'summary') return sampleName === fam.name + '_sum' || sampleName === fam.name + '_count';
  return false;
}

function toLine(fam: FamilyModel, s: ParsedSample, instanceLabel: string, counterRate: number, seed: number): LineModel {
  const suffix = s.name.slice(fam.name.length);
  const labels: [string, string][] = [[instanceLabel, `exporter-${SPLICE}`], ...s.labels.filter(([n]) => n !== instanceLabel)];
  const key = mix2(hashString(fam.name), seed);
  const rate = counterRate * (0.5 + unit(key));
  const line: LineModel = { suffix, labels, splice: SpliceKind.Exporter, kind: ValueKind.Literal, key, rate: 0, aux: 1, base: 0, churned: false, literal: s.valueText };
  const advancing =
    Number.isFinite(s.value) &&
    (fam.type === 'counter' ||
      ((fam.type === 'histogram' || fam.type === 'summary') && (suffix === '_count' || suffix === '_bucket' || suffix === '_sum')));
  if (advancing) {
    line.kind = ValueKind.Replay;
    line.rate = rate;
    line.base = s.value;
    // A histogram's new observations all fall in its lowest bucket, so every cumulative
    // bucket and _count grow by the same amount and stay consistent.
    if (suffix === '_sum') line.aux = 0.001;
  }
  return line;
}

interface ParsedSample {
  name: string;
  labels: [string, string][];
  value: number;
  valueText: string;
}

function parseSampleLine(line: string, where: string): ParsedSample {
  const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nm) throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}:1: expected a metric name`);
  const name = nm[0];
  let i = name.length;
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!ln) throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}:${i + 1}: expected a label name`);
      i += ln[0].length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}:${i + 1}: expected ="`);
      i += 2;
      let v = '';
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\') {
          const c = line[++i];
          v += c === 'n' ? '\n' : c;
        } else v += line[i];
      }
      if (line[i] !== '"') throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}:${i + 1}: unterminated label value`);
      i++;
      labels.push([ln[0], v]);
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const valueText = rest[0] ?? '';
  const value = parseValue(valueText);
  if (valueText === '' || (Number.isNaN(value) && valueText !== 'NaN')) {
    throw new PromsoakError('PROMSOAK_REPLAY_INVALID', `${where}:${i + 1}: expected a value, found "${valueText}"`);
  }
  return { name, labels, value, valueText };
}

function parseValue(t: string): number {
  if (t === '+Inf' || t === 'Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  if (t === 'NaN') return NaN;
  return t.trim() === '' ? NaN : Number(t);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
