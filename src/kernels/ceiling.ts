// The arithmetic ceiling kernel (shaders/fma_ceiling.wgsl): register-only vec4 multiply-adds in
// chains of FMA_CHAIN, no memory traffic in the loop, so its GFLOP/s is what the adapter's pipes
// can do (the shader says why chains: lavapipe's per-update overhead in loops). The bench
// times it (bench/ceilings.ts) and reports every kernel as a share of it. fmaCeilingReference
// recomputes one invocation's output on the CPU, the way the shader does, for its validation.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

export interface FmaCeilingParams {
  invocations: number;
  iters: number;
  /** Multiplier (below 1, so the chains stay bounded) and addend of every multiply-add. */
  m: number;
  c: number;
}

const WG = 64;
/** Accumulators per invocation (vec4 each), and multiply-adds per accumulator per round: must match the shader. */
export const FMA_ACCUMULATORS = 16;
export const FMA_CHAIN = 4;

export const fmaCeilingKernel: KernelSpec<FmaCeilingParams> = {
  name: 'fma_ceiling',
  shader: 'fma_ceiling',
  bindings: ['read_write'],
  uniforms: [
    ['invocations', 'u32'],
    ['iters', 'u32'],
    ['m', 'f32'],
    ['c', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  values: (p) => ({ invocations: p.invocations, iters: p.iters, m: p.m, c: p.c }),
  dispatch: (p) => grid1d(p.invocations, WG),
  flops: (p) => fmaCeilingFlops(p),
};

/** A multiply-add counts 2: a chain of FMA_CHAIN on each of the vec4 accumulators per round. */
export function fmaCeilingFlops(p: Pick<FmaCeilingParams, 'invocations' | 'iters'>): number {
  return 2 * 4 * FMA_CHAIN * FMA_ACCUMULATORS * p.iters * p.invocations;
}

/** Launches the kernel; one float per invocation. */
export function fmaCeiling(p: FmaCeilingParams): Tensor {
  const out = Tensor.empty([p.invocations], 'float32', 'fma-ceiling');
  dispatcher().launch(fmaCeilingKernel, p, [out.buffer]);
  return out;
}

/**
 * Invocation i's output as the shader computes it, in float32 steps (Math.fround); a hardware
 * fma rounds once where this rounds twice, which the caller's tolerance allows for.
 */
export function fmaCeilingReference(i: number, p: FmaCeilingParams): number {
  const r = Math.fround;
  const s = r((i % 1024) * (1 / 1024));
  const m = r(p.m);
  const c = r(p.c);
  const acc: number[] = [];
  for (let a = 0; a < FMA_ACCUMULATORS; a++) {
    // 0.1 * f32(j) in the shader: the literal rounded to f32, times j, rounded.
    const step = r(r(0.1) * a);
    for (let l = 0; l < 4; l++) acc.push(r(r(s + r(0.01 * l)) + step));
  }
  for (let k = 0; k < p.iters * FMA_CHAIN; k++) {
    for (let j = 0; j < acc.length; j++) acc[j] = r(r(acc[j] * m) + c);
  }
  // The shader's summation order: the accumulators in order, then the lanes pairwise.
  const lanes = [0, 1, 2, 3].map((l) => {
    let t = acc[l];
    for (let a = 1; a < FMA_ACCUMULATORS; a++) t = r(t + acc[4 * a + l]);
    return t;
  });
  return r(r(lanes[0] + lanes[1]) + r(lanes[2] + lanes[3]));
}
