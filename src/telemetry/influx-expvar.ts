/**
 * InfluxDB 1.x keeps its counters in expvar JSON (`/debug/vars`), not in its Prometheus
 * `/metrics` (which has only the Go runtime's). The write counters a soak needs, as text-format
 * lines to read beside /metrics: `influxdb_httpd_points_written_ok_total` (points its HTTP API
 * wrote, remote write's included, summed over its listeners) and `influxdb_httpd_prom_write_requests_total`.
 * The JSON is untrusted: anything not a finite number is left out.
 */
export function influxExpvarLines(body: Buffer): string {
  let vars: unknown;
  try {
    vars = JSON.parse(body.toString('utf8'));
  } catch {
    return '';
  }
  if (typeof vars !== 'object' || vars === null) return '';
  let written = 0;
  let promReq = 0;
  let seen = false;
  for (const [key, v] of Object.entries(vars as Record<string, unknown>)) {
    if (!key.startsWith('httpd') || typeof v !== 'object' || v === null) continue;
    const values = (v as { values?: unknown }).values;
    if (typeof values !== 'object' || values === null) continue;
    const w = (values as Record<string, unknown>).pointsWrittenOK;
    const p = (values as Record<string, unknown>).promWriteReq;
    if (typeof w === 'number' && Number.isFinite(w) && w >= 0) {
      written += w;
      seen = true;
    }
    if (typeof p === 'number' && Number.isFinite(p) && p >= 0) promReq += p;
  }
  // Finite numbers can still sum past the largest double: "Infinity" is no count.
  if (!seen || !Number.isFinite(written) || !Number.isFinite(promReq)) return '';
  return `\n# TYPE influxdb_httpd_points_written_ok_total counter\ninfluxdb_httpd_points_written_ok_total ${written}\n# TYPE influxdb_httpd_prom_write_requests_total counter\ninfluxdb_httpd_prom_write_requests_total ${promReq}\n`;
}
