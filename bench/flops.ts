// FLOP accounting shared by every bench figure. A convolution counts the multiply-adds of the
// direct convolution (2 each), whatever algorithm ran it: Winograd F(2x2,3x3) does 2.25x fewer
// multiplies, and counting those would make it look slower than the direct kernel it beats.
// So GFLOP/s here is "direct-convolution-equivalent" and comparable across variants and peers.
// Imports nothing, so the peer children can use it.

export interface ConvShape {
  batch: number;
  /** Output height and width. */
  oh: number;
  ow: number;
  ci: number;
  co: number;
  /** Square kernel side. */
  k: number;
}

/** 2 * N * OH * OW * CO * K * K * CI: the direct convolution's multiply-adds, counted 2. */
export function directConvFlops(s: ConvShape): number {
  return 2 * s.batch * s.oh * s.ow * s.co * s.k * s.k * s.ci;
}

/** A dense layer k -> n on `batch` rows: multiply-adds counted 2, plus the bias adds. */
export function denseFlops(batch: number, k: number, n: number, bias = true): number {
  return 2 * batch * k * n + (bias ? batch * n : 0);
}

/**
 * The book's from-scratch convnet (src/apps/small_convnet.ts: valid 3x3 convs 32-64-128-128, each
 * followed by a 2x2 pool, Dense 512, Dense 1) on one image: its forward, and a training step
 * (forward, weight gradients everywhere, input gradients everywhere but the first conv).
 */
export function smallConvnetFlops(size: number): { forward: number; train: number } {
  let hw = size;
  let ci = 3;
  let forward = 0;
  let inputGrads = 0;
  [32, 64, 128, 128].forEach((co, i) => {
    const oh = hw - 2;
    const f = directConvFlops({ batch: 1, oh, ow: oh, ci, co, k: 3 });
    forward += f;
    if (i > 0) inputGrads += f;
    hw = Math.floor(oh / 2);
    ci = co;
  });
  const dense = denseFlops(1, hw * hw * ci, 512) + denseFlops(1, 512, 1);
  forward += dense;
  // Backward: a weight gradient per layer (as many flops as its forward), input gradients as said.
  return { forward, train: 2 * forward + inputGrads + dense };
}
