// Image decoding off the main thread: a pool of worker_threads that each read a file, decode it
// and resize it to the target size, posting the RGB bytes back with the buffer transferred (no
// copy). threads = 0 decodes on the main thread instead, one image per event-loop turn so that
// a consumer awaiting the GPU still gets its turns.
//
// decode() never rejects: it resolves to the image or to a failure, so that work prefetched
// ahead and never awaited cannot become an unhandled rejection. A failure is `fatal` when the
// worker itself died (crash, out of memory, a broken build): every later request then fails
// with the same message, which names the file that was being decoded.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { libraryReason } from '../util/errors.js';
import { dataError, describeThrown } from './errors.js';
import { loadImage, type Interpolation } from './load_img.js';
import { decodeWorkerPath } from './worker_location.js';

export interface DecodeRequest {
  path: string;
  /** [height, width], as Keras's target_size. */
  targetSize: [number, number];
  interpolation: Interpolation;
}

export type Decoded = { ok: true; data: Uint8Array } | { ok: false; message: string; fatal: boolean };

/** What the worker posts back; `data` is transferred. */
export type WorkerReply = { id: number; ok: true; data: ArrayBuffer } | { id: number; ok: false; message: string };

export type WorkerJob = DecodeRequest & { id: number };

interface Job {
  req: DecodeRequest;
  done: (d: Decoded) => void;
}
interface Slot {
  worker: Worker;
  job: Job | null;
  error: unknown;
}

export function defaultThreads(): number {
  return availableParallelism();
}

export class DecodePool {
  readonly threads: number;
  private readonly workerPath: string | null;
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 0;
  private broken: string | null = null;
  private closed = false;

  /** Finds (and checks) the worker script now, so a missing build fails at construction. */
  constructor(threads = defaultThreads()) {
    if (!(Number.isInteger(threads) && threads >= 0)) {
      throw new Error(`dawnflow: threads must be an integer >= 0, got ${threads}`);
    }
    this.threads = threads;
    this.workerPath = threads > 0 ? decodeWorkerPath() : null;
  }

  /** Workers alive now (they start on the first request, up to `threads`). */
  get liveWorkers(): number {
    return this.slots.length;
  }

  decode(req: DecodeRequest): Promise<Decoded> {
    if (this.closed) return Promise.resolve(fatal(`dawnflow: ${req.path}: the decoder is closed`));
    if (this.broken) return Promise.resolve(fatal(this.broken));
    return new Promise((done) => {
      if (this.threads === 0) setImmediate(() => done(decodeHere(req)));
      else {
        this.queue.push({ req, done });
        this.dispatch();
      }
    });
  }

  /** Terminates the workers; requests still queued resolve as failures. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.done(fatal(`dawnflow: ${job.req.path}: the decoder was closed`));
    }
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length && !this.closed && !this.broken) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot && this.slots.length < this.threads) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      // A busy worker keeps the process alive until its answer arrives; an idle one does not,
      // so a program that never calls close() still exits.
      slot.worker.ref();
      const msg: WorkerJob = { id: this.nextId++, ...job.req };
      slot.worker.postMessage(msg);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerPath!, { execArgv: workerExecArgv() });
    const slot: Slot = { worker, job: null, error: null };
    worker.unref();
    worker.on('message', (r: WorkerReply) => this.answer(slot, r));
    worker.on('error', (e) => (slot.error = e));
    worker.on('exit', (code) => this.exited(slot, code));
    this.slots.push(slot);
    return slot;
  }

  private answer(slot: Slot, r: WorkerReply): void {
    const job = slot.job!;
    slot.job = null;
    slot.worker.unref();
    if (r.ok) job.done(checked(job.req, new Uint8Array(r.data)));
    else job.done({ ok: false, message: r.message, fatal: false });
    this.dispatch();
  }

  private exited(slot: Slot, code: number): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return; // terminated by close()
    this.slots.splice(at, 1);
    const why = slot.error ? describeThrown(slot.error) : `exit code ${code}`;
    const file = slot.job?.req.path ?? '(no file)';
    this.broken =
      `dawnflow: ${file}: the decode worker died while decoding this file (${why}); ` +
      'rerun with threads: 0 to decode on the main thread';
    for (const job of [...(slot.job ? [slot.job] : []), ...this.queue.splice(0)]) {
      job.done(fatal(this.broken));
    }
  }
}

/**
 * The parent's Node flags minus those a worker refuses: `node --input-type=module -e ...`
 * would otherwise kill every worker at start ("--input-type can only be used with string input").
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}

function fatal(message: string): Decoded {
  return { ok: false, message, fatal: true };
}

function checked(req: DecodeRequest, data: Uint8Array): Decoded {
  const [h, w] = req.targetSize;
  if (data.length === h * w * 3) return { ok: true, data };
  return fatal(
    `dawnflow: ${req.path}: the decode worker sent ${data.length} bytes for ` +
      `${w}x${h} RGB; the build is out of date: run \`npm run build\``,
  );
}

/** The worker's job, also used on the main thread: read, decode, resize; errors as values. */
export function decodeHere(req: DecodeRequest): Decoded {
  try {
    const { targetSize, interpolation } = req;
    return { ok: true, data: loadImage(req.path, { targetSize, interpolation }).data };
  } catch (e) {
    const message =
      e instanceof Error && e.message.startsWith('dawnflow: ')
        ? e.message
        : dataError(req.path, `cannot decode (${libraryReason('the decoder', e)}); re-copy or delete the file`).message;
    return { ok: false, message, fatal: false };
  }
}
