// Sleeping instead of spinning while the GPU works. Dawn's `await queue.onSubmittedWorkDone()`
// and `mapAsync` poll on the Node main thread at full speed until the work is done: on a 2-core
// machine running lavapipe that is a core taken from the very threads doing the GPU work. The
// dispatcher tells this model how much work each submit carried (flops, or invocations for
// kernels that declare none); the model predicts when the queue drains and the dispatcher sleeps
// 90% of the predicted remainder before the real await. A wrong estimate costs a little CPU (too
// short) or a little latency (too long) and never correctness: the real await still follows.
// DAWNFLOW_SPIN=1 turns the sleep off.

const SLEEP_FRACTION = 0.9;
/** Below this predicted remainder a timer is not worth it (setTimeout's granularity is ~1 ms). */
const MIN_SLEEP_MS = 2;
/** An await that returns within this found the queue already drained (its own latency ~0.5 ms). */
const BLOCKED_MS = 2;
const MAX_SLEEP_MS = 60_000;

export interface WaitStats {
  /** Awaits preceded by a sleep, and the milliseconds slept in all. */
  sleeps: number;
  sleptMs: number;
  /** Awaits that still found the GPU busy after the sleep (the spin that remained), in ms. */
  spunMs: number;
  /** Sleeps that overshot (the GPU was already idle on waking). */
  overshoots: number;
  /** Current rate estimate: work units per millisecond (0 until the first measured wait). */
  rate: number;
}

export class GpuWaitModel {
  readonly enabled = process.env.DAWNFLOW_SPIN !== '1';
  private rate = 0;
  /** Predicted time (performance.now()) at which everything submitted so far is done. */
  private freeAt = 0;
  /** First submit since the queue was last known idle, and the work submitted since then. */
  private since = 0;
  private work = 0;
  /** Launched, not yet submitted. */
  private queued = 0;
  /** When the spinning await began (after any sleep), and whether a sleep preceded it. */
  private awaitFrom = 0;
  private slept = false;
  private compiles = 0;
  readonly stats: WaitStats = { sleeps: 0, sleptMs: 0, spunMs: 0, overshoots: 0, rate: 0 };

  /** A launch of `units` work (flops, or invocations) was encoded. */
  launched(units: number): void {
    this.queued += Math.max(1, units);
  }

  /** The encoded work was submitted. */
  submitted(): void {
    if (this.queued === 0) return;
    const now = performance.now();
    if (this.work === 0) {
      this.since = now;
      this.freeAt = now;
    }
    this.work += this.queued;
    // The GPU starts this submit when it is done with the earlier ones, or now if it is idle.
    if (this.rate > 0) this.freeAt = Math.max(this.freeAt, now) + this.queued / this.rate;
    this.queued = 0;
  }

  /** The predicted milliseconds until the queue drains (0 when unknown or idle). */
  remainingMs(): number {
    if (this.rate <= 0 || this.work === 0) return 0;
    return Math.max(0, this.freeAt - performance.now());
  }

  /** Sleeps for most of the predicted remaining GPU time; call right before the awaits that spin. */
  async beforeWait(): Promise<void> {
    this.slept = false;
    const ms = Math.min(MAX_SLEEP_MS, this.remainingMs() * SLEEP_FRACTION);
    if (this.enabled && ms >= MIN_SLEEP_MS) {
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, ms));
      this.slept = true;
      this.stats.sleeps++;
      this.stats.sleptMs += performance.now() - t0;
    }
    this.awaitFrom = performance.now();
  }

  /**
   * Everything submitted is done (the await returned): learn the rate from how long it took.
   * `compiles` counts pipelines created so far: work that ran new pipelines also ran the
   * driver's shader compiles, so it teaches nothing about the rate.
   */
  completed(compiles = 0): void {
    if (this.work === 0) return;
    const fresh = compiles !== this.compiles;
    this.compiles = compiles;
    const now = performance.now();
    const spun = now - this.awaitFrom;
    const actual = Math.max(now - this.since, 1e-3);
    const predicted = this.freeAt - this.since;
    // If the await blocked, the queue drained about now; if it returned at once, it drained
    // earlier (`actual` is only an upper bound) and only a too-slow prediction can be corrected.
    const blocked = spun >= BLOCKED_MS;
    if (this.slept) this.stats.spunMs += spun;
    if (this.slept && !blocked) this.stats.overshoots++;
    if (this.slept && !blocked) {
      // Overslept: the GPU finished at some unknown time during the sleep, so `actual` (which
      // includes the sleep) says nothing. Halve the predictions until a wait blocks again; a
      // ratio correction here would be ~1/SLEEP_FRACTION and let every wait oversleep
      // (measured: a small chapter run took 85 s instead of 19 s).
      this.rate *= 2;
    } else if (fresh) {
      // Keep the estimate.
    } else if (this.rate <= 0) {
      // First measurement: work / time is a lower bound (the GPU may have idled while the host
      // encoded), which would oversleep; start from the fast side and let spins correct it.
      if (actual >= MIN_SLEEP_MS) this.rate = 1.5 * this.work / actual;
    } else if (blocked) {
      // Drained about now. Slow down gently, speed up fully: the estimate leans towards the
      // fast side, where an error costs a little spinning rather than latency.
      const ratio = predicted / actual;
      this.rate *= ratio < 1 ? clamp(Math.sqrt(ratio), 0.5, 1) : clamp(ratio, 1, 4);
    } else if (predicted > actual) {
      // Drained before `now` without a sleep: the true ratio is larger still.
      this.rate *= clamp(predicted / actual, 1, 4);
    }
    this.stats.rate = this.rate;
    this.work = 0;
    this.freeAt = now;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
