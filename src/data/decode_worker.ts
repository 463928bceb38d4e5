// The decode worker's entry (run as dist/src/data/decode_worker.js, see worker_location.ts): one
// message = one file to read, decode and resize; the answer carries the RGB bytes, transferred.
// It runs the same decodeHere as threads: 0, so both give the same bytes.
import { parentPort } from 'node:worker_threads';
import { decodeHere, type WorkerJob, type WorkerReply } from './decode_pool.js';

const port = parentPort;
if (!port) throw new Error('dawnflow: decode_worker.js is a worker thread, started by DecodePool');

port.on('message', (job: WorkerJob) => {
  const d = decodeHere(job);
  if (!d.ok) {
    const reply: WorkerReply = { id: job.id, ok: false, message: d.message };
    port.postMessage(reply);
    return;
  }
  const data = owned(d.data);
  const reply: WorkerReply = { id: job.id, ok: true, data: data.buffer };
  port.postMessage(reply, [data.buffer]);
});

/**
 * A view that owns its whole ArrayBuffer, so transferring it moves exactly these bytes: small
 * Node Buffers (a decoder's output when no resize was needed) are slices of a shared pool.
 */
function owned(a: Uint8Array): Uint8Array & { buffer: ArrayBuffer } {
  const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer;
  return (whole ? a : a.slice()) as Uint8Array & { buffer: ArrayBuffer };
}
