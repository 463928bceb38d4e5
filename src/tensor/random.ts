// Seeded random numbers for initialisers, dropout seeds and shuffles: reproducible across runs
// and platforms (pure 32-bit integer maths, no Math.random).

/** splitmix32-style generator: 32-bit state, good statistical quality for ML initialisation. */
export class Rng {
  private state: number;

  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  /** Next uint32. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal by Box-Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The generator's state, for checkpoints. */
  get seed(): number {
    return this.state;
  }
}

let global = new Rng(1337);

export function setSeed(seed: number): void {
  global = new Rng(seed);
}

export function globalRng(): Rng {
  return global;
}
