import { readRegularFile, regularFileSize, type FileLimit } from '../common/read-file.js';

/**
 * A profile's replayed capture (family `replay`): a regular file of at most 64 MiB. A real
 * exporter's /metrics is far smaller (node_exporter's ~100 KiB, a large kube-state-metrics'
 * tens of MiB), and every render thread parses the capture into its own model (~10 bytes of
 * model per byte of capture), so a bigger one could not be served anyway. /dev/zero, a FIFO
 * or a directory is refused at once (common/read-file.ts), as is a file that grows past the
 * bound while read. Every reader of a capture goes through here: the size estimate
 * (fleet/capacity.ts), the model (fleet/render/replay.ts), the digest (profile/digest.ts).
 */
export const REPLAY_MAX_BYTES = 64 * 2 ** 20;

const LIMIT: FileLimit = { maxBytes: REPLAY_MAX_BYTES, what: 'a replay file (a profile family of type replay)', code: 'PROMSOAK_REPLAY_INVALID' };

/** The capture's size in bytes (it is opened and checked, not read). */
export function replayFileBytes(path: string): number {
  return regularFileSize(path, LIMIT);
}

/** The capture's bytes. */
export function readReplayFile(path: string): Buffer {
  return readRegularFile(path, LIMIT);
}
