import { Buffer } from 'node:buffer';
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ExporterSet } from '../src/fleet/exporter-set.js';
import type { Format } from '../src/fleet/layout.js';
import type { RenderTask, RenderResult, ExporterWorkerData } from '../src/fleet/protocol.js';

/**
 * Piscina worker: renders one exporter's scrape per task. The body is rendered into a fresh,
 * unpooled buffer whose memory is then transferred (moved, not copied) to the HTTP front.
 */
const data = workerData as ExporterWorkerData;
const set = new ExporterSet(data.profile);
const formats: Format[] = ['text', 'openmetrics'];

export default function renderTask(task: RenderTask): RenderResult {
  const format = formats[task.format]!;
  const started = process.hrtime.bigint();
  // allocUnsafeSlow: not from the shared pool, so its ArrayBuffer can be transferred whole.
  const out = Buffer.allocUnsafeSlow(set.maxBytes(format));
  const length = set.renderInto(task.exporter, task.t, format, out);
  const body = new Uint8Array(out.buffer, out.byteOffset, length);
  const renderNs = Number(process.hrtime.bigint() - started);
  const result: RenderResult = { body, renderNs };
  return move({
    get [transferableSymbol]() {
      return [out.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  }) as unknown as RenderResult;
}
