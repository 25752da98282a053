/**
 * A decoding thread (folder-decoding.ts): it starts only if the main thread has not cancelled it, decodes
 * its share of the files into the shared arrays, then reports the files it could not use (or the error
 * that stopped it) on its port, and says so in its state slot, which the main thread waits on.
 */
import { workerData } from 'node:worker_threads';
import { decodeShare, jobOf, workerStateSlot, WorkerState, type DecodeWorkerReport, type DecodeWorkerSetup } from './folder-decoding.js';

const setup = workerData as DecodeWorkerSetup;
const control = new Int32Array(setup.control);
const slot = workerStateSlot(setup.worker);
if (Atomics.compareExchange(control, slot, WorkerState.WAITING, WorkerState.RUNNING) === WorkerState.WAITING) {
  let report: DecodeWorkerReport;
  try {
    report = decodeShare(jobOf(setup), () => {});
  } catch (error) {
    report = { finished: 0, problems: [], fatal: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  setup.port.postMessage(report);
  Atomics.store(control, slot, WorkerState.REPORTED);
  Atomics.notify(control, slot);
}
