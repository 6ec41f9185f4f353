import { createServer, type Server, type Socket } from 'node:net';
import { Conn, type ConnLimits, type Service } from './http-connection.js';
import { RequestHead } from './request-head.js';
import { C } from './thread-counters.js';

/** Defaults of the per-connection bounds (connection.ts). */
export const STALL_MS = 30_000;
export const HEAD_MS = 60_000;
/** Idle keep-alive connections close after this (the Keep-Alive: timeout=65 the heads announce). */
export const IDLE_MS = 65_000;
/** Connections one serving thread holds at most; past it new ones are refused (counted). */
export const MAX_CONNECTIONS_PER_THREAD = 20_000;

export interface ServeOptions {
  host: string;
  port: number;
  service: Service;
  /** This thread's slot of the shared counters. */
  counts: Float64Array;
  limits?: Partial<ConnLimits>;
  maxConnections?: number;
}

export interface LeanServer {
  port: number;
  /** Stops accepting and cuts every connection. */
  close(): Promise<void>;
}

/**
 * One serving thread's HTTP/1.1 listener (node:net, no node:http: its per-request objects
 * cost more than the render, see docs/fleet.md): connections are Conns, bounded each (an
 * unread response, a head that never ends, idle keep-alive) and in number, swept once a
 * second.
 */
export async function serve(o: ServeOptions): Promise<LeanServer> {
  const limits: ConnLimits = { stallMs: STALL_MS, headMs: HEAD_MS, idleMs: IDLE_MS, ...o.limits };
  const head = new RequestHead();
  const conns = new Set<Conn>();
  const counts = o.counts;
  const onCut = (): void => {
    counts[C.Cut]!++;
  };
  // allowHalfOpen: a client's FIN does not end the socket before what it asked is answered (http-connection.ts).
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
    const conn = new Conn(socket, head, o.service, onCut);
    conns.add(conn);
    counts[C.Open] = conns.size;
    socket.once('close', () => {
      conns.delete(conn);
      counts[C.Open] = conns.size;
    });
  });
  server.maxConnections = o.maxConnections ?? MAX_CONNECTIONS_PER_THREAD;
  server.on('drop', () => counts[C.Refused]!++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const c of conns) c.check(now, limits);
    },
    Math.min(1000, Math.max(50, limits.stallMs / 2)),
  ).unref();
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        for (const c of conns) c.socket.destroy();
      }),
  };
}
