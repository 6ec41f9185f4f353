import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, which } from './tools.js';

/**
 * The independent remote-write decoder (test/fixtures/remote-write/): Debian's protoc,
 * python3-protobuf and python3-snappy. `oracle()` generates the Python classes into a
 * temporary directory once, or says why it cannot (tests skip visibly with that line).
 */
export const RW_FIXTURES = join(ROOT, 'test', 'fixtures', 'remote-write');
const PY = '/usr/bin/python3';
const MISSING = 'needs Debian packages protobuf-compiler, python3-protobuf, python3-snappy (apt-get install protobuf-compiler python3-protobuf python3-snappy)';

export interface Oracle {
  /** Scratch directory for request files. */
  dir: string;
  run(args: string[]): string;
}

export interface DecodedSeries {
  labels: [string, string][];
  /** Value as the 16 hex digits of its IEEE 754 bits (NaNs stay distinct), timestamp in ms. */
  samples: [string, number][];
  metadata?: { type: number; help: string; unit: string };
}
export interface DecodedRequest {
  series: DecodedSeries[];
  errors: string[];
  symbols?: number;
}

let cached: Oracle | string | undefined;

export function oracle(): Oracle | string {
  if (cached !== undefined) return cached;
  const protoc = which('protoc');
  const py = spawnSync(PY, ['-c', 'import snappy, google.protobuf'], { encoding: 'utf8' });
  if (!protoc || py.status !== 0) return (cached = MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-rw-oracle-'));
  const gen = spawnSync(protoc, [`--proto_path=${RW_FIXTURES}`, `--python_out=${dir}`, 'remote_v1.proto', 'remote_v2.proto'], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`protoc failed: ${gen.stderr}`);
  const script = join(RW_FIXTURES, 'rw_decode.py');
  cached = {
    dir,
    run(args: string[]): string {
      const r = spawnSync(PY, [script, dir, ...args], { encoding: 'utf8', maxBuffer: 512 * 2 ** 20, timeout: 120_000 });
      if (r.status !== 0) throw new Error(`rw_decode.py ${args[0]} failed: ${r.stderr}`);
      return r.stdout;
    },
  };
  return cached;
}

let seq = 0;
/** Writes each body to a file of the oracle's directory and decodes them all in one Python run. */
export function decodeRequests(o: Oracle, version: 'v1' | 'v2', bodies: Uint8Array[]): DecodedRequest[] {
  const files = bodies.map((b) => {
    const f = join(o.dir, `req-${process.pid}-${seq++}.bin`);
    writeFileSync(f, b);
    return f;
  });
  return JSON.parse(o.run([version, ...files])) as DecodedRequest[];
}

/** The IEEE 754 bits of v as 16 hex digits, as rw_decode.py prints them. */
export function bitsOf(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}

export interface TextSample {
  name: string;
  labels: [string, string][];
  value: number;
}

/**
 * The sample lines of a text-format 0.0.4 body, in order, labels unescaped. Only what the
 * fleet's renderer writes: `name{l="v",…} value` or `name value`, no timestamps.
 */
export function parseTextSamples(body: string): TextSample[] {
  const out: TextSample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    let p = 0;
    while (p < line.length && line[p] !== '{' && line[p] !== ' ') p++;
    const name = line.slice(0, p);
    const labels: [string, string][] = [];
    if (line[p] === '{') {
      p++;
      while (line[p] !== '}') {
        const eq = line.indexOf('="', p);
        const ln = line.slice(p, eq);
        p = eq + 2;
        let v = '';
        while (line[p] !== '"') {
          if (line[p] === '\\') {
            const c = line[p + 1];
            v += c === 'n' ? '\n' : c;
            p += 2;
          } else v += line[p++];
        }
        labels.push([ln, v]);
        p++;
        if (line[p] === ',') p++;
      }
      p++;
    }
    const text = line.slice(p).trim();
    const value = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
    if (text === '' || (Number.isNaN(value) && text !== 'NaN')) throw new Error(`unparsed sample line: ${line}`);
    out.push({ name, labels, value });
  }
  return out;
}

/**
 * The labels a remote-write receiver must see for a text sample of exporter `id`: what a
 * scrape of the fleet stores (job, instance and exporter from the fleet's discovery, a clash
 * renamed exported_<name> as with honor_labels off, no label with an empty value: Prometheus's
 * labels.Builder drops them), sorted by name bytes.
 */
export function expectedLabels(s: TextSample, id: number): [string, string][] {
  const scrape = ['job', 'instance', 'exporter', '__name__'];
  // A label with an empty value is no label: a scrape stores the series without it.
  const l: [string, string][] = s.labels.filter(([, v]) => v !== '').map(([n, v]) => [scrape.includes(n) ? `exported_${n}` : n, v]);
  l.push(['__name__', s.name], ['job', 'promsoak'], ['instance', `exporter-${id}`], ['exporter', String(id)]);
  return l.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Writes a file in the oracle's directory (snappy round trips). */
export function scratchFile(o: Oracle, name: string, data?: Uint8Array): string {
  const f = join(o.dir, `${process.pid}-${name}`);
  if (data) writeFileSync(f, data);
  return f;
}
