import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../common/read-file.js';
import { PromsoakError } from '../common/errors.js';

/**
 * A V8 heap snapshot (.heapsnapshot) as flat typed arrays, read by a streaming parser.
 *
 * The file is one JSON object: `snapshot` (meta: node_fields, node_types, edge_fields,
 * edge_types; node_count, edge_count), then `nodes` and `edges` (flat integer arrays, one
 * record = node_fields.length / edge_fields.length numbers), trace data, and `strings`.
 * JSON.parse of the whole file stops at V8's largest string (~512 MiB) and needs several
 * times the file in heap; this parser reads the file in chunks and writes the numbers straight
 * into typed arrays, keeping only what the summaries need: per node 17 bytes (type, name,
 * self size, first edge), per edge 5 bytes (type, target), and the strings (each cut to
 * STRING_KEEP characters). A 1 GB snapshot (~8 M nodes, ~35 M edges) needs ~0.4 GB of memory
 * here, plus ~0.3 GB for the dominator
 * tree; when the typed arrays cannot be allocated it fails with one line saying how much it needs.
 */
export interface HeapGraph {
  nodeCount: number;
  edgeCount: number;
  nodeTypes: string[];
  edgeTypes: string[];
  /** Index into nodeTypes. */
  nodeType: Uint8Array;
  /** Index into strings. */
  nodeName: Uint32Array;
  nodeSelf: Float64Array;
  /** Edges of node i: firstEdge[i] … firstEdge[i+1]−1. */
  firstEdge: Uint32Array;
  /** Index into edgeTypes. */
  edgeType: Uint8Array;
  /** Target node ordinal (not the array offset the file stores). */
  edgeTo: Uint32Array;
  strings: string[];
}

/** Strings are kept up to this many characters: names are short; string contents are grouped as "(string)". */
const STRING_KEEP = 200;
/** The `snapshot` header is small (meta and counts); a file whose first value is larger is not a snapshot. */
const HEADER_MAX = 1 << 20;

function bad(path: string, why: string): PromsoakError {
  return new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: not a V8 heap snapshot (${why})`);
}

interface Meta {
  node_fields: string[];
  node_types: (string[] | string)[];
  edge_fields: string[];
  edge_types: (string[] | string)[];
}

/** Reads a .heapsnapshot in `chunkBytes` chunks (tests use tiny chunks to cross every boundary). */
export function readHeapSnapshot(path: string, chunkBytes = 4 << 20): HeapGraph {
  // A regular file (a FIFO's open blocked forever, a directory failed only at the first read), of any size: it is streamed.
  const fd = openRegularFile(path, 'a heap snapshot');
  try {
    const p = new Parser(path);
    const buf = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n === 0) break;
      p.push(buf, n);
    }
    return p.end();
  } finally {
    closeSync(fd);
  }
}

const enum Mode {
  Top,
  Raw,
  Numbers,
  Strings,
  Done,
}

class Parser {
  private mode = Mode.Top;
  /** Top level: 0 want '{', 1 want key or '}', 2 in key, 3 want ':', 4 want value, 5 want ',' or '}'. */
  private top = 0;
  private key = '';
  private keyBytes: number[] = [];
  private keys = 0;
  // Raw value (the snapshot header, and values skipped): depth and string state.
  private rawDepth = 0;
  private rawInString = false;
  private rawEscape = false;
  private rawStarted = false;
  private rawParts: Buffer[] | null = null;
  private rawLength = 0;
  // Number arrays.
  private arrayOpen = false;
  private num = 0;
  private inNum = false;
  private count = 0;
  private target: 'nodes' | 'edges' = 'nodes';
  // Strings array.
  private inStr = false;
  private strEscape = false;
  private strHasEscape = false;
  private strParts: Buffer[] = [];

  private meta: Meta | undefined;
  private nodeCount = 0;
  private edgeCount = 0;
  private nodeWidth = 0;
  private edgeWidth = 0;
  private nf = { type: -1, name: -1, self: -1, edges: -1 };
  private ef = { type: -1, to: -1 };
  private nodeType!: Uint8Array;
  private nodeName!: Uint32Array;
  private nodeSelf!: Float64Array;
  private nodeEdges!: Uint32Array;
  private edgeType!: Uint8Array;
  private edgeTo!: Uint32Array;
  private strings: string[] = [];
  private seen = new Set<string>();

  constructor(private readonly path: string) {}

  push(buf: Buffer, n: number): void {
    let i = 0;
    while (i < n) {
      switch (this.mode) {
        case Mode.Top:
          i = this.pushTop(buf, i, n);
          break;
        case Mode.Raw:
          i = this.pushRaw(buf, i, n);
          break;
        case Mode.Numbers:
          i = this.pushNumbers(buf, i, n);
          break;
        case Mode.Strings:
          i = this.pushStrings(buf, i, n);
          break;
        case Mode.Done:
          for (; i < n; i++) if (!isSpace(buf[i]!)) throw bad(this.path, 'data after the end of the JSON object');
      }
    }
  }

  end(): HeapGraph {
    if (this.mode !== Mode.Done) {
      if (this.keys === 0) throw bad(this.path, 'empty or not JSON');
      throw bad(this.path, `the file ends inside "${this.key}" (truncated?)`);
    }
    for (const k of ['nodes', 'edges', 'strings']) if (!this.seen.has(k)) throw bad(this.path, `no "${k}" array`);
    const firstEdge = new Uint32Array(this.nodeCount + 1);
    let e = 0;
    for (let i = 0; i < this.nodeCount; i++) {
      firstEdge[i] = e;
      e += this.nodeEdges[i]!;
    }
    firstEdge[this.nodeCount] = e;
    if (e !== this.edgeCount) throw bad(this.path, `the nodes' edge counts add up to ${e}, but there are ${this.edgeCount} edges`);
    for (let i = 0; i < this.nodeCount; i++) if (this.nodeName[i]! >= this.strings.length) throw bad(this.path, `node ${i} names string ${this.nodeName[i]} of ${this.strings.length}`);
    return {
      nodeCount: this.nodeCount,
      edgeCount: this.edgeCount,
      nodeTypes: this.meta!.node_types[0] as string[],
      edgeTypes: this.meta!.edge_types[0] as string[],
      nodeType: this.nodeType,
      nodeName: this.nodeName,
      nodeSelf: this.nodeSelf,
      firstEdge,
      edgeType: this.edgeType,
      edgeTo: this.edgeTo,
      strings: this.strings,
    };
  }

  private pushTop(buf: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.top === 2) {
        // in a key (keys of a snapshot have no escapes)
        if (c === 0x22) {
          this.key = Buffer.from(this.keyBytes).toString('utf8');
          this.keyBytes = [];
          this.top = 3;
        } else if (this.keyBytes.length > 64) throw bad(this.path, 'unexpected top-level key');
        else this.keyBytes.push(c);
        continue;
      }
      if (isSpace(c)) continue;
      switch (this.top) {
        case 0:
          if (c !== 0x7b) throw bad(this.path, `starts with ${JSON.stringify(String.fromCharCode(c))}, not "{"`);
          this.top = 1;
          break;
        case 1:
          if (c === 0x7d && this.keys > 0) {
            this.mode = Mode.Done;
            return i + 1;
          }
          if (c !== 0x22) throw bad(this.path, 'expected a key');
          this.top = 2;
          break;
        case 3:
          if (c !== 0x3a) throw bad(this.path, 'expected ":"');
          this.top = 4;
          break;
        case 4:
          this.keys++;
          this.startValue();
          this.top = 5;
          return i; // the value's first byte is read by its mode
        case 5:
          if (c === 0x2c) this.top = 1;
          else if (c === 0x7d) {
            this.mode = Mode.Done;
            return i + 1;
          } else throw bad(this.path, `expected "," or "}" after "${this.key}"`);
          break;
      }
    }
    return i;
  }

  private startValue(): void {
    const k = this.key;
    if (this.keys === 1 && k !== 'snapshot') throw bad(this.path, `its first key is "${k}", not "snapshot"`);
    this.seen.add(k);
    if (k === 'nodes' || k === 'edges') {
      if (!this.meta) throw bad(this.path, `"${k}" before "snapshot"`);
      this.target = k;
      this.mode = Mode.Numbers;
      this.arrayOpen = false;
      this.count = 0;
      this.inNum = false;
      this.num = 0;
    } else if (k === 'strings') {
      this.mode = Mode.Strings;
      this.arrayOpen = false;
      this.inStr = false;
    } else {
      this.mode = Mode.Raw;
      this.rawDepth = 0;
      this.rawInString = false;
      this.rawEscape = false;
      this.rawStarted = false;
      this.rawParts = k === 'snapshot' ? [] : null;
      this.rawLength = 0;
    }
  }

  /** A value kept (the header) or skipped (trace data, samples, locations), bracket-balanced. */
  private pushRaw(buf: Buffer, i: number, n: number): number {
    const start = i;
    let done = false;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.rawInString) {
        if (this.rawEscape) this.rawEscape = false;
        else if (c === 0x5c) this.rawEscape = true;
        else if (c === 0x22) this.rawInString = false;
        continue;
      }
      if (!this.rawStarted) {
        if (isSpace(c)) continue;
        this.rawStarted = true;
      }
      if (c === 0x22) this.rawInString = true;
      else if (c === 0x7b || c === 0x5b) this.rawDepth++;
      else if (c === 0x7d || c === 0x5d) {
        this.rawDepth--;
        if (this.rawDepth === 0) {
          i++;
          done = true;
          break;
        }
      } else if (this.rawDepth === 0 && (c === 0x2c || c === 0x7d)) {
        done = true; // a scalar value ended
        break;
      }
    }
    if (this.rawParts) {
      this.rawLength += i - start;
      if (this.rawLength > HEADER_MAX) throw bad(this.path, `"${this.key}" is over ${HEADER_MAX} bytes`);
      this.rawParts.push(Buffer.from(buf.subarray(start, i)));
    }
    if (done) {
      if (this.rawParts) this.header(Buffer.concat(this.rawParts).toString('utf8'));
      this.rawParts = null;
      this.mode = Mode.Top;
    }
    return i;
  }

  private header(text: string): void {
    let h: { meta?: Meta; node_count?: number; edge_count?: number };
    try {
      h = JSON.parse(text);
    } catch {
      throw bad(this.path, '"snapshot" is not valid JSON');
    }
    const m = h.meta;
    if (!m || !Array.isArray(m.node_fields) || !Array.isArray(m.edge_fields) || !Array.isArray(m.node_types?.[0]) || !Array.isArray(m.edge_types?.[0])) {
      throw bad(this.path, 'no snapshot.meta with node_fields, node_types, edge_fields, edge_types');
    }
    if (!Number.isInteger(h.node_count) || !Number.isInteger(h.edge_count)) throw bad(this.path, 'no snapshot.node_count / edge_count');
    this.meta = m;
    this.nodeCount = h.node_count!;
    this.edgeCount = h.edge_count!;
    this.nodeWidth = m.node_fields.length;
    this.edgeWidth = m.edge_fields.length;
    this.nf = { type: m.node_fields.indexOf('type'), name: m.node_fields.indexOf('name'), self: m.node_fields.indexOf('self_size'), edges: m.node_fields.indexOf('edge_count') };
    this.ef = { type: m.edge_fields.indexOf('type'), to: m.edge_fields.indexOf('to_node') };
    if (Object.values(this.nf).some((x) => x < 0) || Object.values(this.ef).some((x) => x < 0)) {
      throw bad(this.path, 'node_fields lack type/name/self_size/edge_count or edge_fields lack type/to_node');
    }
    try {
      this.nodeType = new Uint8Array(this.nodeCount);
      this.nodeName = new Uint32Array(this.nodeCount);
      this.nodeSelf = new Float64Array(this.nodeCount);
      this.nodeEdges = new Uint32Array(this.nodeCount);
      this.edgeType = new Uint8Array(this.edgeCount);
      this.edgeTo = new Uint32Array(this.edgeCount);
    } catch {
      throw new PromsoakError('PROMSOAK_OUT_OF_MEMORY', `${this.path}: ${this.nodeCount} nodes and ${this.edgeCount} edges need ~${Math.round((this.nodeCount * 17 + this.edgeCount * 5) / 2 ** 20)} MiB, which this process could not allocate`);
    }
  }

  private pushNumbers(buf: Buffer, i: number, n: number): number {
    if (!this.arrayOpen) {
      for (; i < n && isSpace(buf[i]!); i++);
      if (i === n) return i;
      if (buf[i] !== 0x5b) throw bad(this.path, `"${this.target}" is not an array`);
      this.arrayOpen = true;
      i++;
    }
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        this.num = this.num * 10 + (c - 0x30);
        this.inNum = true;
      } else if (c === 0x2c || c === 0x5d || isSpace(c)) {
        if (this.inNum) this.store();
        if (c === 0x5d) {
          this.finishNumbers();
          return i + 1;
        }
      } else throw bad(this.path, `a non-integer in "${this.target}"`);
    }
    return i;
  }

  private store(): void {
    const v = this.num;
    const k = this.count++;
    this.num = 0;
    this.inNum = false;
    if (this.target === 'nodes') {
      const w = this.nodeWidth;
      const node = (k / w) | 0;
      if (node >= this.nodeCount) throw bad(this.path, `more nodes than node_count ${this.nodeCount}`);
      const f = k - node * w;
      if (f === this.nf.type) this.nodeType[node] = v;
      else if (f === this.nf.name) this.nodeName[node] = v;
      else if (f === this.nf.self) this.nodeSelf[node] = v;
      else if (f === this.nf.edges) this.nodeEdges[node] = v;
    } else {
      const w = this.edgeWidth;
      const edge = (k / w) | 0;
      if (edge >= this.edgeCount) throw bad(this.path, `more edges than edge_count ${this.edgeCount}`);
      const f = k - edge * w;
      if (f === this.ef.type) this.edgeType[edge] = v;
      else if (f === this.ef.to) {
        if (v % this.nodeWidth !== 0 || v / this.nodeWidth >= this.nodeCount) throw bad(this.path, `edge ${edge} points to ${v}, not a node`);
        this.edgeTo[edge] = v / this.nodeWidth;
      }
    }
  }

  private finishNumbers(): void {
    const want = this.target === 'nodes' ? this.nodeCount * this.nodeWidth : this.edgeCount * this.edgeWidth;
    if (this.count !== want) throw bad(this.path, `"${this.target}" has ${this.count} numbers, expected ${want}`);
    this.mode = Mode.Top;
  }

  private pushStrings(buf: Buffer, i: number, n: number): number {
    if (!this.arrayOpen) {
      for (; i < n && isSpace(buf[i]!); i++);
      if (i === n) return i;
      if (buf[i] !== 0x5b) throw bad(this.path, '"strings" is not an array');
      this.arrayOpen = true;
      i++;
    }
    while (i < n) {
      if (!this.inStr) {
        const c = buf[i]!;
        if (c === 0x22) {
          this.inStr = true;
          this.strHasEscape = false;
          this.strEscape = false;
          this.strParts = [];
        } else if (c === 0x5d) {
          this.mode = Mode.Top;
          return i + 1;
        } else if (c !== 0x2c && !isSpace(c)) throw bad(this.path, 'a non-string in "strings"');
        i++;
        continue;
      }
      // In a string: find its closing quote, skipping escaped characters.
      const start = i;
      let end = -1;
      for (; i < n; i++) {
        const c = buf[i]!;
        if (this.strEscape) this.strEscape = false;
        else if (c === 0x5c) {
          this.strEscape = true;
          this.strHasEscape = true;
        } else if (c === 0x22) {
          end = i;
          break;
        }
      }
      if (end < 0) {
        this.strParts.push(Buffer.from(buf.subarray(start, n)));
        return n;
      }
      const raw = this.strParts.length ? Buffer.concat([...this.strParts, buf.subarray(start, end)]) : buf.subarray(start, end);
      let s: string;
      if (this.strHasEscape) {
        try {
          s = JSON.parse('"' + raw.toString('utf8') + '"') as string;
        } catch {
          throw bad(this.path, `string ${this.strings.length} is not valid JSON`);
        }
      } else s = raw.toString('utf8', 0, Math.min(raw.length, STRING_KEEP * 4));
      this.strings.push(s.length > STRING_KEEP ? s.slice(0, STRING_KEEP) : s);
      this.strParts = [];
      this.inStr = false;
      i = end + 1;
    }
    return i;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
