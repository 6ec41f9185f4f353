import { test } from 'node:test';
import assert from 'node:assert/strict';
import { influxExpvarLines } from '../src/telemetry/influx-expvar.js';

test('influx expvar: counters that sum past the largest double are left out, not written as Infinity', () => {
  const huge = { httpd: { values: { pointsWrittenOK: 1.7e308, promWriteReq: 1 } }, 'httpd:b': { values: { pointsWrittenOK: 1.7e308, promWriteReq: 1 } } };
  assert.equal(influxExpvarLines(Buffer.from(JSON.stringify(huge))), '');
  const reqs = { httpd: { values: { pointsWrittenOK: 5, promWriteReq: 1.7e308 } }, 'httpd:b': { values: { pointsWrittenOK: 5, promWriteReq: 1.7e308 } } };
  assert.equal(influxExpvarLines(Buffer.from(JSON.stringify(reqs))), '');
  // Two listeners summed, garbage beside them ignored.
  const ok = { httpd: { values: { pointsWrittenOK: 5, promWriteReq: 2 } }, 'httpd:b': { values: { pointsWrittenOK: 7, promWriteReq: 'x' } }, memstats: 1 };
  assert.match(influxExpvarLines(Buffer.from(JSON.stringify(ok))), /^influxdb_httpd_points_written_ok_total 12$/m);
});
