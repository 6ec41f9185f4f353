import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import type { Format } from '../src/fleet/render/layout.js';
import type { RenderTask, RenderResult, ExporterWorkerData } from '../src/protocol/render.js';

/**
 * Piscina worker: renders one exporter's scrape per task, into the buffer the task brought
 * (a body the HTTP front has finished sending) or a new one, and transfers it back whole:
 * no copy between this thread and the HTTP front, and no allocation in steady state.
 */
const data = workerData as ExporterWorkerData;
const set = new ExporterSet(data.profile);
const formats: Format[] = ['text', 'openmetrics'];

export default function renderTask(task: RenderTask): RenderResult {
  const started = process.hrtime.bigint();
  const body = set.renderTransferable(task.exporter, task.t, formats[task.format]!, task.buffer);
  const result: RenderResult = { body, renderNs: Number(process.hrtime.bigint() - started) };
  return move({
    get [transferableSymbol]() {
      return [body.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  }) as unknown as RenderResult;
}
