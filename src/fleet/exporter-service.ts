import type { ResolvedProfile } from '../profile/load.js';
import type { FaultKind } from '../profile/schema.js';
import { buildLayout, type Format, type Layout } from './render/layout.js';
import { buildModel } from './render/model.js';
import type { ExporterModel } from './render/lines.js';
import { render } from './render/render.js';
import { Body } from './body.js';
import { negotiate } from './negotiate.js';
import { FaultPlan } from './faults.js';
import { inShard, type Shard } from './shard.js';
import { C } from './thread-counters.js';
import type { Conn, Service } from './http-connection.js';
import type { RequestHead } from './request-head.js';
import { writeHeadBefore } from './body-head.js';
import { sendMalformed, sendOversized, sendReset, sendTruncated } from './fault-writes.js';

/** A `timeout` exporter's scrape is never answered; one the scraper forgets is cut after this long. */
const FORGOTTEN_MS = 600_000;

export interface ExporterServiceOptions {
  profile: ResolvedProfile;
  shard: Shard | null;
  /** Render time 0, ms since 1970. */
  epochMs: number;
  /** This thread's slot of the shared counters (counters.ts). */
  counts: Float64Array;
  /** Where a 404 says the exporters are. */
  where: string;
  /**
   * The paths other than exporters' (the main port's /sd, /stats…): true when answered,
   * false when answered later (conn.done()), undefined when not one of them (a 404).
   */
  control?: (path: string, conn: Conn, head: RequestHead, buf: Buffer) => boolean | undefined;
  onError?: (message: string) => void;
}

/**
 * Serves `/exporters/<id>/metrics`: renders the exporter's scrape at this moment, in this
 * thread, into a pooled buffer behind its HTTP head and writes it in one go; the profile's
 * faulty exporters answer as their fault says.
 */
export class ExporterService implements Service {
  private readonly model: ExporterModel;
  private readonly layouts: Record<Format, Layout>;
  private readonly pools: Record<Format, Body[]> = { text: [], openmetrics: [] };
  private readonly fixed: Format | undefined;
  private readonly faults: FaultPlan;
  private readonly origin: number;
  private readonly counts: Float64Array;
  /** The last Accept value seen and what it negotiated (scrapers send the same one every time). */
  private lastAccept = Buffer.alloc(512);
  private lastAcceptLength = -1;
  private lastFormat: Format = 'text';

  constructor(private readonly o: ExporterServiceOptions) {
    this.model = buildModel(o.profile);
    this.layouts = { text: buildLayout(this.model, 'text'), openmetrics: buildLayout(this.model, 'openmetrics') };
    this.fixed = o.profile.format === 'negotiate' ? undefined : o.profile.format;
    this.faults = new FaultPlan(o.profile);
    this.origin = o.epochMs - performance.timeOrigin;
    this.counts = o.counts;
  }

  serve(conn: Conn, head: RequestHead, buf: Buffer): boolean {
    const id = head.exporter;
    if (id < 0) {
      const path = head.path(buf);
      const answered = this.o.control?.(path, conn, head, buf);
      if (answered !== undefined) return answered;
      return this.notFound(conn, path);
    }
    if (id >= this.o.profile.exporters || !inShard(id, this.o.shard)) return this.notFound(conn, head.path(buf));
    const format = this.fixed ?? this.format(head, buf);
    const fault = this.faults.kindOf[id]! < 0 ? undefined : this.faults.kind(id);
    try {
      if (fault === undefined) {
        this.send(conn, this.render(id, format));
        return true;
      }
      this.counts[C.Faults]!++;
      return this.injectFault(fault, conn, id, format);
    } catch (e) {
      // A render that throws is this scrape's 500, counted and said, never the thread's end.
      const message = (e as Error).message;
      this.counts[C.Errors]!++;
      this.o.onError?.(message);
      if (!conn.socket.destroyed) conn.respond(500, 'text/plain; charset=utf-8', `render failed: ${message}\n`);
      return true;
    }
  }

  private format(head: RequestHead, buf: Buffer): Format {
    if (head.acceptStart < 0) return 'text';
    const n = head.acceptEnd - head.acceptStart;
    if (n === this.lastAcceptLength && buf.compare(this.lastAccept, 0, n, head.acceptStart, head.acceptEnd) === 0) return this.lastFormat;
    this.lastFormat = negotiate(head.accept(buf));
    if (n <= this.lastAccept.length) {
      buf.copy(this.lastAccept, 0, head.acceptStart, head.acceptEnd);
      this.lastAcceptLength = n;
    } else this.lastAcceptLength = -1;
    return this.lastFormat;
  }

  private now(): number {
    return (performance.now() - this.origin) / 1000;
  }

  /** Exporter `id`'s body now, in a pooled buffer. */
  render(id: number, format: Format): Body {
    const pool = this.pools[format];
    let body = pool.pop();
    if (body) this.counts[C.Reused]!++;
    else body = new Body(format, this.layouts[format]);
    const t0 = performance.now();
    const m = this.model;
    body.length = render(body.scratch, m.seed, m.valuesEverySeconds, m.churnEverySeconds, id, this.now());
    this.counts[C.RenderNs]! += (performance.now() - t0) * 1e6;
    return body;
  }

  /** Head and body in one write; counted once the socket has taken it. */
  private send(conn: Conn, body: Body): void {
    const buf = body.scratch.buf;
    const start = writeHeadBefore(buf, body.start, body.format, body.length, conn.closeAfter);
    const end = conn.headOnly ? body.start : body.start + body.length;
    body.arm(this.pools[body.format], this.counts);
    conn.write(new Uint8Array(buf.buffer, start, end - start), body.sent);
  }

  private notFound(conn: Conn, path: string): boolean {
    this.counts[C.NotFound]!++;
    conn.respond(404, 'text/plain; charset=utf-8', `404 not found: ${path} (${this.o.where})\n`);
    return true;
  }

  /** A faulty exporter's scrape (faults.ts); true when answered now. */
  private injectFault(fault: FaultKind, conn: Conn, id: number, format: Format): boolean {
    const t = this.now();
    const socket = conn.socket;
    switch (fault) {
      case 'timeout': {
        // Never answered: the scraper gives up and closes; a forgotten request is cut.
        const cut = setTimeout(() => socket.destroy(), FORGOTTEN_MS).unref();
        socket.once('close', () => clearTimeout(cut));
        return false;
      }
      case 'http5xx': {
        const status = this.o.profile.faults.http5xx!.status ?? 503;
        conn.respond(status, 'text/plain; charset=utf-8', `promsoak injected fault: HTTP ${status}\n`);
        return true;
      }
      case 'flap':
        if (this.faults.down(id, t)) {
          socket.destroy();
          return true;
        }
        this.send(conn, this.render(id, format));
        return true;
      case 'slow': {
        const onClose = (): void => clearTimeout(timer);
        const timer = setTimeout(() => {
          socket.off('close', onClose);
          if (socket.destroyed) return;
          this.send(conn, this.render(id, format));
          conn.done();
        }, this.faults.delayMs(id, t));
        socket.once('close', onClose);
        return false;
      }
      case 'truncated':
        sendTruncated(conn, this.render(id, format), this.pools[format], this.counts);
        return true;
      case 'malformed':
        sendMalformed(conn, this.render(id, format), this.pools[format], this.counts);
        return true;
      case 'reset':
        sendReset(conn, this.render(id, format));
        return true;
      case 'oversized':
        return sendOversized(conn, this.render(id, format), this.o.profile.faults.oversized!.bytes);
    }
  }
}
