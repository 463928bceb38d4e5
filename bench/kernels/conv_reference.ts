// What the conv cases (cases.ts) and the conv+pool pairs (conv_pool.ts) share: a VGG16 conv's
// FLOPs and the float64 conv their sampled outputs are checked against.
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import type { VggConv } from '../../src/ops/vgg16_convs.js';
import { directConvFlops } from '../flops.js';
import type { Want } from './validate.js';

/**
 * A VGG16 conv's FLOPs at a batch: the direct convolution's (bench/flops.ts), for every pass and
 * whichever variant (tex, sg, Winograd) the planner picks.
 */
export function convCaseFlops(batch: number, s: VggConv): number {
  return directConvFlops({ batch, oh: s.hw, ow: s.hw, ci: s.ci, co: s.co, k: 3 });
}

/**
 * The float64 conv (before its activation) of NHWC x by HWIO w plus b at output cell (n, oh, ow,
 * c), with the sum of |terms| that made it; x's side is g.H, its channels g.CI.
 */
export function convReference(
  xh: Float32Array,
  wh: Float32Array,
  bh: Float32Array,
  g: ConvGeometry,
): (n: number, oh: number, ow: number, c: number) => Want {
  const { H, W, CI, CO, PT, PL } = g;
  return (n, oh, ow, c) => {
    let acc = bh[c];
    let abs = Math.abs(bh[c]);
    for (let kh = 0; kh < 3; kh++) {
      const ih = oh + kh - PT;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < 3; kw++) {
        const iw = ow + kw - PL;
        if (iw < 0 || iw >= W) continue;
        const xb = ((n * H + ih) * W + iw) * CI;
        const wb = (kh * 3 + kw) * CI * CO + c;
        for (let k = 0; k < CI; k++) {
          const t = xh[xb + k] * wh[wb + k * CO];
          acc += t;
          abs += Math.abs(t);
        }
      }
    }
    return { value: acc, absSum: abs };
  };
}
