import type { PushStats } from '../protocol/push-stats.js';

/** What `promsoak fleet --push` prints: where it pushes, a line a second, and where every sample went. */
export function pushingLine(p: PushStats, exporters: number, seriesPerExporter: number, interval: number): string {
  const offered = (exporters * seriesPerExporter) / interval;
  return `promsoak fleet pushing: ${exporters} exporters x ${seriesPerExporter} series every ${interval} s = ${fmt(offered)} samples/s, remote write ${p.protocol} to ${p.url}, batches of ${p.batch} samples, ${p.senders} sender${p.senders === 1 ? '' : 's'} (one connection each), backlog bound ${p.maxBacklog} samples`;
}

export function pushSecondLine(p: PushStats): string {
  const s = p.lastSecond;
  if (!s) return 'push: first second not measured yet';
  const secs = Math.max(1e-3, (s.endMs - s.startMs) / 1000);
  const rate = (n: number): string => fmt(n / secs);
  return (
    `push: ${rate(s.generated)} generated/s, ${rate(s.acknowledged)} acknowledged/s` +
    (s.rejected ? `, ${rate(s.rejected)} rejected/s` : '') +
    (s.retried ? `, ${rate(s.retried)} retried/s` : '') +
    (s.droppedBacklog ? `, ${rate(s.droppedBacklog)} dropped/s (backlog full)` : '') +
    (s.skipped ? `, ${rate(s.skipped)} skipped/s (the generator behind)` : '') +
    `, backlog ${fmt(s.backlog)}` +
    (s.latencyP50Ms !== null ? `, latency p50 ${s.latencyP50Ms} ms p99 ${s.latencyP99Ms} ms` : '') +
    (s.networkErrors + s.serverErrors + s.tooManyRequests > 0 ? `, ${s.networkErrors} no answer, ${s.serverErrors} 5xx, ${s.tooManyRequests} 429` : '')
  );
}

export function pushSummaryLine(p: PushStats): string {
  const t = p.totals;
  const by = Object.entries(t.rejectedByStatus).map(([k, v]) => `${v} with ${k}`).join(', ');
  return (
    `promsoak push: ${t.generated} samples generated, ${t.sent} sent, ${t.acknowledged} acknowledged` +
    `, ${t.rejected} rejected${by ? ` (${by})` : ''}, ${t.retried} retried, ${t.droppedBacklog} dropped (backlog full), ${t.droppedAtStop} dropped at stop` +
    (t.skipped + t.generatedLate > 0 ? `; the generator fell behind by up to ${t.generatorLagMaxMs} ms: ${t.skipped} samples due never generated, ${t.generatedLate} over a second late` : '') +
    `; ${t.requests} requests, ${(t.bytesWire / 1e6).toFixed(1)} MB on the wire (${(t.bytesRaw / 1e6).toFixed(1)} MB raw)` +
    (t.latencyP50Ms !== null ? `, latency p50 ${t.latencyP50Ms} ms p99 ${t.latencyP99Ms} ms` : '') +
    (p.protocol === '2.0' ? `, ${t.written} written by the receiver's count` : '')
  );
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}
