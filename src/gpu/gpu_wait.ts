// Waiting for the GPU without spinning a core. While a Dawn promise (onSubmittedWorkDone,
// mapAsync) is pending, Dawn's Node binding polls its instance by rescheduling itself through
// the global `setImmediate` (AsyncRunner::QueueTick looks it up on every tick): a busy loop on
// the main thread. On a 2-core machine running lavapipe that core is taken from the very threads
// doing the GPU work. During our awaits `setImmediate` is swapped for a 1 ms timer, so the
// binding polls a thousand times a second instead of continuously: at most ~1 ms of latency per
// wait, and nothing to predict. Measured on lavapipe (VGG16 at 150x150, batch 4): the conv-base
// forward went from 4.2 to 2.5 s per batch and the fine-tune step from 5.8 to 3.4 s, with about
// a third less CPU time. DAWNFLOW_SPIN=1 keeps Dawn's own polling.
//
// Other code that calls the global setImmediate during such an await is deferred by ~1 ms too.
import { setting } from '../util/settings.js';

const POLL_MS = 1;

export interface WaitStats {
  /** Awaits of GPU work, and the milliseconds spent in them. */
  awaits: number;
  waitedMs: number;
  /** Whether awaits poll on a timer (false: Dawn's own continuous polling, DAWNFLOW_SPIN=1). */
  polite: boolean;
}

export class GpuWaiter {
  /** Off with DAWNFLOW_SPIN=1, and while `exact` runs. */
  enabled = !setting('DAWNFLOW_SPIN');
  readonly stats: WaitStats = { awaits: 0, waitedMs: 0, polite: this.enabled };
  private depth = 0;
  private original: typeof setImmediate | null = null;

  /**
   * Runs `fn` with Dawn's own continuous polling: for timing many tiny waits (the profiler's
   * replay), where a 1 ms poll would be the whole measurement.
   */
  async exact<T>(fn: () => Promise<T>): Promise<T> {
    const was = this.enabled;
    this.enabled = false;
    try {
      return await fn();
    } finally {
      this.enabled = was;
    }
  }

  /** Starts a Dawn promise and awaits it with the binding's polling slowed to a timer. */
  async wait<T>(start: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    if (this.enabled && this.depth++ === 0) {
      this.original = globalThis.setImmediate;
      const timer = globalThis.setTimeout;
      globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...args: unknown[]) =>
        timer(fn, POLL_MS, ...args)) as unknown as typeof setImmediate;
    }
    try {
      return await start();
    } finally {
      if (this.enabled && --this.depth === 0) globalThis.setImmediate = this.original!;
      this.stats.awaits++;
      this.stats.waitedMs += performance.now() - t0;
    }
  }
}
