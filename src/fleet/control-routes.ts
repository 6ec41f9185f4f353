import type { Registry } from 'prom-client';
import type { Conn } from './http-connection.js';

/** What the fleet's main port answers besides exporters: its own state, for people and coordinators. */
export interface ControlSources {
  /** False while the serving threads start: /sd, /stats and /metrics are not known yet. */
  ready: () => boolean;
  sdBody: () => Buffer;
  stats: () => unknown;
  profile: () => unknown;
  registry: () => Registry;
}

/**
 * The main port's control paths: /healthz, /sd, /stats, /profile, /metrics. True when
 * answered now, false when later (conn.done()), undefined for any other path (a 404).
 */
export function controlRoutes(src: ControlSources): (path: string, conn: Conn) => boolean | undefined {
  return (path, conn) => {
    if (!src.ready() && (path === '/sd' || path === '/sd/' || path === '/stats' || path === '/metrics')) {
      // Not a 200 with an empty target list or stats from nothing: a reader tries again.
      conn.respond(503, 'text/plain', 'the fleet is starting: its serving threads are not all listening yet\n', 'Retry-After: 1\r\n');
      return true;
    }
    switch (path) {
      case '/healthz':
        conn.respond(200, 'text/plain', 'ok\n');
        return true;
      case '/sd':
      case '/sd/':
        conn.respond(200, 'application/json', src.sdBody());
        return true;
      case '/stats':
        conn.respond(200, 'application/json', JSON.stringify(src.stats()));
        return true;
      case '/profile':
        // The profile served, as its digest hashes it: a coordinator can soak the fleet without its files.
        conn.respond(200, 'application/json', JSON.stringify(src.profile()));
        return true;
      case '/metrics': {
        const registry = src.registry();
        registry.metrics().then(
          (body) => {
            if (!conn.socket.destroyed) conn.respond(200, registry.contentType, body);
            conn.done();
          },
          (e: Error) => {
            if (!conn.socket.destroyed) conn.respond(500, 'text/plain', `metrics failed: ${e.message}\n`);
            conn.done();
          },
        );
        return false;
      }
      default:
        return undefined;
    }
  };
}
