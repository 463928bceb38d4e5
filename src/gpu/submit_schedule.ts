// When the dispatcher submits its encoder. Batching launches saves Dawn's per-submit work, so
// launches normally go `max` at a time. But a training step starts after a readback that left the
// queue empty, and 64 launches are most of a step's encoding: the device would wait for all of
// it (for the from-scratch convnet at batch 4 on lavapipe, the first submit came about 4 ms into
// a 100 ms step). So after the queue has drained the first submit goes after 2 launches and each
// next one after twice as many, up to `max`: a GPU starts on the first kernels while the engine
// encodes the rest, and a 78-launch step takes 6 submits instead of 2. On lavapipe it measured
// neither faster nor slower (ten interleaved rounds of 30 steps, 2026-12-06): the device there
// is the same two cores, so what the encoding stops delaying it takes from the shader threads.
/** Launches in the first submit after the queue has drained. */
const FIRST = 2;

export class SubmitSchedule {
  /** The most launches per submit (tests and the bench's timed replays set it). */
  max = 64;
  private next = Number.POSITIVE_INFINITY;

  /** Whether an encoder holding `launches` launches is due for submission. */
  due(launches: number): boolean {
    return launches >= Math.min(this.next, this.max);
  }

  /** An encoder was submitted: the next one may hold twice as many launches. */
  submitted(): void {
    this.next *= 2;
  }

  /** Runs `encode` with no submit due, so that its launches share one encoder (timed cases). */
  holding<T>(encode: () => T): T {
    const { max, next } = this;
    this.max = Number.POSITIVE_INFINITY;
    this.next = Number.POSITIVE_INFINITY;
    try {
      return encode();
    } finally {
      this.max = max;
      this.next = next;
    }
  }

  /** Every submitted command has completed and nothing was submitted since: start small again. */
  drained(): void {
    this.next = FIRST;
  }
}
