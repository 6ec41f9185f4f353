import type { MessagePort } from 'node:worker_threads';
import type { ResolvedProfile } from '../profile/load.js';
import type { ConnLimits } from './http-connection.js';
import type { Shard } from './shard.js';
import type { PushOptions } from '../push/push-options.js';

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

/** Sent on a thread's control port to start pushing: its exporters, senders and share of the backlog, and its slot of the push counters. */
export interface PushStart {
  type: 'push';
  options: PushOptions;
  ids: number[];
  senders: number;
  maxBacklog: number;
  counters: SharedArrayBuffer;
  slot: number;
  /** Push only the exporters with id < this (capacity's dial set before the push started); absent: all. */
  exporters?: number;
}

/** Sent on a thread's control port: push only the exporters with id < `exporters` from now on (capacity's dial); answered by `pushOffered`. */
export interface PushOffer {
  type: 'push-offer';
  exporters: number;
}

export type ServeReply = { type: 'ready'; port: number } | { type: 'error'; code?: string; message: string } | { type: 'renderError'; message: string } | { type: 'pushNote'; message: string; key: string } | { type: 'pushStopped' } | { type: 'pushOffered'; exporters: number };
