import type { MessagePort } from 'node:worker_threads';
import type { ResolvedProfile } from '../profile/load.js';
import type { ConnLimits } from './http-connection.js';
import type { Shard } from './shard.js';

/** What a serving thread (workers/server.ts) is started with: workerData, then one task each. */
export interface ServerWorkerData {
  profile: ResolvedProfile;
}

export interface ServeTask {
  /** Its slot in the shared counters (1..threads; 0 is the main thread's port). */
  slot: number;
  counters: SharedArrayBuffer;
  host: string;
  /** 0: any free port. */
  port: number;
  shard: Shard | null;
  epochMs: number;
  /** Where a 404 says the exporters and the control paths are. */
  where: string;
  limits: Partial<ConnLimits>;
  maxConnections: number;
  /** 'ready' {port} or 'error' {message} comes back on it; 'stop' goes to it. */
  control: MessagePort;
}

export type ServeReply = { type: 'ready'; port: number } | { type: 'error'; code?: string; message: string } | { type: 'renderError'; message: string };
