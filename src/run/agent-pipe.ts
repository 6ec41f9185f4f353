import type { Readable } from 'node:stream';
import type { FromAgent } from '../protocol/agent.js';
import { decodeFrame, MAX_RECORD_BYTES, RECORD_FRAME, RECORD_HEADER_BYTES, RECORD_JSON, type WireFrame } from '../protocol/frame-wire.js';
import { apportion, toAgentFrame } from './agent-frame.js';
import { EngineProcReader } from './engine-proc.js';

/**
 * Splits the agent's frame pipe into its records (protocol/frame-wire.ts), in order, whatever
 * the chunks. A header the agent could not have written (an unknown kind, an absurd length) goes
 * to `onBad` and ends the reading: past it, no boundary can be trusted.
 */
export class RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(
    private readonly onRecord: (kind: number, payload: Buffer) => void,
    private readonly onBad: (what: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    let b = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (b.length - at >= RECORD_HEADER_BYTES) {
      const bytes = b.readUInt32LE(at);
      const kind = b.readUInt32LE(at + 4);
      if ((kind !== RECORD_JSON && kind !== RECORD_FRAME) || bytes > MAX_RECORD_BYTES) {
        this.broken = true;
        this.onBad(`a record header the agent could not have written (kind ${kind}, ${bytes} bytes); the rest of the pipe is not read`);
        return;
      }
      if (b.length - at - RECORD_HEADER_BYTES < bytes) break;
      const payload = b.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + bytes);
      at += RECORD_HEADER_BYTES + bytes;
      this.onRecord(kind, payload);
    }
    b = b.subarray(at);
    // Keep a copy: the stream may reuse its chunk.
    this.pending = b.length > 0 ? Buffer.from(b) : Buffer.alloc(0);
  }

  /** The stream ended: a record cut short is said. */
  end(): void {
    if (!this.broken && this.pending.length > 0) this.onBad(`the pipe ended inside a record (${this.pending.length} bytes left)`);
    this.pending = Buffer.alloc(0);
  }
}

/**
 * Reads the agent's frame pipe: JSON records are its messages; at the hello (which names the
 * engine's pid and its threads at start), the coordinator opens the engine's /proc files
 * (engine-proc.ts), and reads them at each frame's arrival to complete it (once for the frames
 * that arrive together: agent-frame.ts apportion). A record that does not
 * decode goes to `onBad` (the agent writes whole records: a bad one is a bug, said rather than dropped).
 */
export function readAgentPipe(stream: Readable, onMessage: (m: FromAgent) => void, onBad: (what: string) => void): void {
  let proc: EngineProcReader | undefined;
  /** The frames of one chunk: read /proc once for them all (apportion). */
  let batch: WireFrame[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const frames = batch;
    batch = [];
    const threads = proc ? apportion(proc.read(), frames) : undefined;
    frames.forEach((w, i) => onMessage({ type: 'telemetry', frame: toAgentFrame(w, threads?.[i]) }));
  };
  const splitter = new RecordSplitter((kind, payload) => {
    if (kind === RECORD_FRAME) {
      try {
        batch.push(decodeFrame(payload));
      } catch (e) {
        onBad((e as Error).message);
      }
      return;
    }
    flush(); // in order
    let m: FromAgent;
    try {
      m = JSON.parse(payload.toString('utf8')) as FromAgent;
    } catch {
      return onBad(`a message that is not JSON: ${payload.toString('utf8', 0, 200)}`);
    }
    if (m.type === 'telemetry-hello' && !proc) proc = new EngineProcReader(m.pid, m.startupTids ?? []);
    onMessage(m);
  }, onBad);
  stream.on('data', (chunk: Buffer) => {
    splitter.push(chunk);
    flush();
  });
  stream.on('end', () => {
    splitter.end();
    flush();
    proc?.close();
  });
}
