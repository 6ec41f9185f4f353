import { endianness } from 'node:os';
import { FAILURE_REASONS } from './engine-channels.js';

/**
 * The telemetry agent's frame pipe, byte by byte. The agent runs inside the engine it measures,
 * once a second, so a frame is what it can write with the least work: its figures stored into a
 * Float64Array, the second's scrape durations and timer lateness as the scrape log's own Uint32
 * bytes, and one writev(2) of the three. No object is built, nothing is stringified, nothing
 * sorted there: the coordinator decodes the record, sorts the lateness for its percentiles and
 * reads the engine's threads and RSS from /proc itself (run/engine-proc.ts).
 *
 * Records: an 8-byte header (payload bytes, kind: u32 little-endian each), then the payload.
 * - kind 1: a JSON message in UTF-8 (the hello, protocol/agent.ts FromAgent);
 * - kind 2: a frame: FRAME_FIELDS as float64, then one float64 count per FAILURE_REASONS entry,
 *   then `durations` u32 scrape durations (µs), then `wakes` u32 wake-up lateness values (µs).
 * The payload is in the machine's own byte order (the agent writes its arrays as they lie in
 * memory; both ends run on one machine); the header is little-endian.
 */
export const RECORD_HEADER_BYTES = 8;
export const RECORD_JSON = 1;
export const RECORD_FRAME = 2;
/** A record larger than this is not one the agent wrote (1 << 20 durations and as many wake-ups, at most, plus the fields). */
export const MAX_RECORD_BYTES = 16 << 20;

/** The frame's figures, in their order on the wire; then one count per FAILURE_REASONS entry. */
export const FRAME_FIELDS = [
  'startMs',
  'endMs',
  'samples',
  'scrapesOk',
  'scrapesFailed',
  'seriesAdded',
  'series',
  'headBytes',
  /** The agent's own main-thread CPU ms until the previous frame was sent. */
  'agentMs',
  /** Cores: the process's CPU over the frame's window (getrusage, in the engine). */
  'cpuUser',
  'cpuSystem',
  /** The perf_hooks GC entries, gcCount to otherGcPauseMs: together (the agent zeroes them as one range). */
  'gcCount',
  'gcPauseMs',
  'scavengeCount',
  'scavengePauseMs',
  'markCompactCount',
  'markCompactPauseMs',
  'otherGcCount',
  'otherGcPauseMs',
  'heapUsedBytes',
  'heapTotalBytes',
  'externalBytes',
  'eluUtilization',
  /** NaN unless the agent measured the delay itself (PROMSOAK_ELD_RESOLUTION_MS); else the coordinator takes it from the lateness values. */
  'delayP50Ms',
  'delayP99Ms',
  'delayMaxMs',
  /** How many u32 scrape durations and lateness values follow the fields. */
  'durations',
  'wakes',
] as const;
export type FrameField = (typeof FRAME_FIELDS)[number];

/** A field's index in the frame's Float64Array. */
export const FIELD = Object.fromEntries(FRAME_FIELDS.map((k, i) => [k, i])) as Record<FrameField, number>;
/** Where the failure counts start (FAILURE_REASONS order). */
export const FAILED_BY = FRAME_FIELDS.length;
export const FRAME_FLOATS = FAILED_BY + FAILURE_REASONS.length;
export const FRAME_FIELD_BYTES = FRAME_FLOATS * 8;

/** A record's header: payload bytes and kind. */
export function recordHeader(out: Buffer, payloadBytes: number, kind: number): Buffer {
  out.writeUInt32LE(payloadBytes, 0);
  out.writeUInt32LE(kind, 4);
  return out;
}

/** A JSON message as one record. */
export function jsonRecord(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([recordHeader(Buffer.allocUnsafe(RECORD_HEADER_BYTES), body.length, RECORD_JSON), body]);
}

/** A frame record's payload, decoded: the figures by name, the failure counts, and the two u32 arrays (copies). */
export interface WireFrame {
  fields: Record<FrameField, number>;
  failedBy: number[];
  durationsUs: Uint32Array;
  latenessUs: Uint32Array;
}

/** Decodes a frame record's payload; throws, naming what is wrong, on one the agent could not have written. */
export function decodeFrame(payload: Buffer): WireFrame {
  if (payload.length < FRAME_FIELD_BYTES) throw new Error(`a frame record of ${payload.length} bytes: its fields alone are ${FRAME_FIELD_BYTES}`);
  const fields = {} as Record<FrameField, number>;
  FRAME_FIELDS.forEach((k, i) => (fields[k] = readDouble(payload, i * 8)));
  const failedBy = FAILURE_REASONS.map((_, i) => readDouble(payload, (FAILED_BY + i) * 8));
  const { durations, wakes } = fields;
  const expected = FRAME_FIELD_BYTES + (durations + wakes) * 4;
  if (!Number.isInteger(durations) || !Number.isInteger(wakes) || durations < 0 || wakes < 0 || payload.length !== expected) {
    throw new Error(`a frame record of ${payload.length} bytes, for ${durations} durations and ${wakes} wake-ups (${expected} bytes)`);
  }
  return { fields, failedBy, durationsUs: u32s(payload, FRAME_FIELD_BYTES, durations), latenessUs: u32s(payload, FRAME_FIELD_BYTES + durations * 4, wakes) };
}

const NATIVE_LE = endianness() === 'LE';
const readDouble = (b: Buffer, at: number): number => (NATIVE_LE ? b.readDoubleLE(at) : b.readDoubleBE(at));

function u32s(b: Buffer, at: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = NATIVE_LE ? b.readUInt32LE(at + i * 4) : b.readUInt32BE(at + i * 4);
  return out;
}
