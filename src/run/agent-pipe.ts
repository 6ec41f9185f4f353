import type { Readable } from 'node:stream';
import type { FromAgent } from '../protocol/agent.js';
import { decodeFrame, MAX_RECORD_BYTES, RECORD_FRAME, RECORD_HEADER_BYTES, RECORD_JSON, type WireFrame } from '../protocol/frame-wire.js';
import { apportion, toAgentFrame } from './agent-frame.js';
import { EngineProcReader } from './engine-proc.js';

/**
 * Splits the agent's frame pipe into its records (protocol/frame-wire.ts), in order, whatever
 * the chunks. A header the agent could not have written (an unknown kind, an absurd length) goes
 * to `onBad` and ends the reading: past it, no boundary can be trusted. The chunks of a record
 * are joined once, when all of it is there (not at every chunk: a large record would be copied
 * over and over).
 */
export class RecordSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next record (or its header) can be read. */
  private need = RECORD_HEADER_BYTES;
  private broken = false;

  constructor(
    private readonly onRecord: (kind: number, payload: Buffer) => void,
    private readonly onBad: (what: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return;
    const b = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let at = 0;
    this.need = RECORD_HEADER_BYTES;
    while (b.length - at >= RECORD_HEADER_BYTES) {
      const bytes = b.readUInt32LE(at);
      const kind = b.readUInt32LE(at + 4);
      if ((kind !== RECORD_JSON && kind !== RECORD_FRAME) || bytes > MAX_RECORD_BYTES) {
        this.broken = true;
        this.chunks = [];
        this.buffered = 0;
        this.onBad(`a record header the agent could not have written (kind ${kind}, ${bytes} bytes); the rest of the pipe is not read`);
        return;
      }
      if (b.length - at - RECORD_HEADER_BYTES < bytes) {
        this.need = RECORD_HEADER_BYTES + bytes;
        break;
      }
      const payload = b.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + bytes);
      at += RECORD_HEADER_BYTES + bytes;
      this.onRecord(kind, payload);
    }
    // Keep a copy of the rest: the stream may reuse its chunk.
    const rest = b.subarray(at);
    this.chunks = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.buffered = rest.length;
  }

  /** The stream ended: a record cut short is said. */
  end(): void {
    if (!this.broken && this.buffered > 0) this.onBad(`the pipe ended inside a record (${this.buffered} bytes left)`);
    this.chunks = [];
    this.buffered = 0;
  }
}

/** A frame that arrives this long after its window ended waited somewhere (a coordinator that fell behind). */
const LATE_MS = 250;
/** Late frames held for one /proc reading, at most (a coordinator always behind still sees its frames). */
const MAX_HELD = 30;

/**
 * Reads the agent's frame pipe: JSON records are its messages; at the hello (which names the
 * engine's pid and its threads at start), the coordinator opens the engine's /proc files
 * (engine-proc.ts), and reads them at each frame's arrival to complete it. A frame that arrives
 * late (the coordinator's loop stalled, and the frames waited in the pipe or in the agent's
 * queue) is held until one arrives on time, and the one reading then is shared among them all by
 * the CPU each had (agent-frame.ts apportion): a reading covers the time since the last, which
 * is the held frames' windows. A record that does not decode goes to `onBad` (the agent writes
 * whole records: a bad one is a bug, said rather than dropped).
 */
export function readAgentPipe(stream: Readable, onMessage: (m: FromAgent) => void, onBad: (what: string) => void, now: () => number = Date.now): void {
  let proc: EngineProcReader | undefined;
  let held: WireFrame[] = [];
  const flush = (): void => {
    if (held.length === 0) return;
    const frames = held;
    held = [];
    const reading = proc?.read();
    const threads = reading ? apportion(reading, frames) : undefined;
    frames.forEach((w, i) => onMessage({ type: 'telemetry', frame: toAgentFrame(w, threads?.[i]) }));
  };
  const splitter = new RecordSplitter((kind, payload) => {
    if (kind === RECORD_FRAME) {
      let w: WireFrame;
      try {
        w = decodeFrame(payload);
      } catch (e) {
        return onBad((e as Error).message);
      }
      held.push(w);
      if (now() - w.fields.endMs <= LATE_MS || held.length >= MAX_HELD) flush();
      return;
    }
    flush(); // in order
    let m: FromAgent;
    try {
      m = JSON.parse(payload.toString('utf8')) as FromAgent;
    } catch {
      return onBad(`a message that is not JSON: ${payload.toString('utf8', 0, 200)}`);
    }
    if (m.type === 'telemetry-hello' && !proc) proc = EngineProcReader.open(m.pid, m.startupTids ?? []);
    onMessage(m);
  }, onBad);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    splitter.end();
    flush();
    proc?.close();
  };
  stream.on('data', (chunk: Buffer) => splitter.push(chunk));
  stream.on('end', close);
  stream.on('close', close);
  stream.on('error', (e) => {
    onBad(`the pipe failed: ${e.message}`);
    close();
  });
}
