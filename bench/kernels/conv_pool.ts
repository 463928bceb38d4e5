// Each block's last conv with its 2x2 pool, as the engine runs the pair (src/ops/conv_pool.ts):
// where the planner fuses them, the pool is the conv kernel's epilogue, and the conv's full-size
// output and the pool's pass are never made. Set beside the conv's and the pool's own cases, these
// say what pooling costs where it runs in a VGG16 step. Two passes: without a gradient to come
// (a frozen base, inference) and with one (the winners kept for the backward, x's transform kept
// for the weight gradient). Validated on sampled pooled cells against the float64 conv.
import { Tensor } from '../../src/tensor/tensor.js';
import { conv2dGeometry } from '../../src/ops/conv2d.js';
import { conv2dMaxPool2d } from '../../src/ops/conv_pool.js';
import { pool2dGeometry, type PoolGeometry } from '../../src/ops/maxpool2d.js';
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import { conv2dMaxPoolCodes, convPoolFusesForGrad } from '../../src/kernels/conv_pool.js';
import { conv2dForwardKeeping } from '../../src/kernels/conv.js';
import { pool2dRaw } from '../../src/kernels/pool.js';
import { noGrad } from '../../src/autograd/tape.js';
import type { VggConv } from '../../src/ops/vgg16_convs.js';
import { seeded } from '../peers/spec.js';
import type { BenchCase, CaseFactory } from '../harness.js';
import { convCaseFlops, convReference } from './conv_reference.js';
import { sampledRun, type Want } from './validate.js';

const POOL = { poolSize: [2, 2] as [number, number], strides: [2, 2] as [number, number] };
const CONV = { padding: 'same' as const, activation: 'relu' as const };

/** The pair's cases at one block: `<conv>+block<N>_pool/forward_nograd` and `/forward`. */
export function convPoolCases(batch: number, s: VggConv, seed: number): CaseFactory[] {
  const { hw, ci, co } = s;
  const xs = [batch, hw, hw, ci];
  const ws = [3, 3, ci, co];
  const name = `${s.name}+block${s.block}_pool`;
  const shape = `${batch}x${hw}x${hw}x${ci} * 3x3x${ci}x${co} same, pool 2 stride 2`;
  const make = (grad: boolean) => (): BenchCase => {
    const g = conv2dGeometry(xs, ws, CONV);
    const pg = pool2dGeometry([batch, hw, hw, co], POOL);
    const xh = seeded(batch * hw * hw * ci, seed + 1);
    const wh = seeded(9 * ci * co, seed + 2, 0.1);
    const bh = seeded(co, seed + 3, 0.1);
    const [x, w, b] = [Tensor.fromArray(xh, xs), Tensor.fromArray(wh, ws), Tensor.fromArray(bh, [co])];
    const go = grad ? () => withWinners(x, w, b, g, pg) : () => noGrad(() => conv2dMaxPool2d(x, w, b, CONV, POOL));
    const at = convReference(xh, wh, bh, g);
    const out = batch * pg.OH * pg.OW * co;
    return {
      name: `${name}/${grad ? 'forward' : 'forward_nograd'}`,
      group: 'conv_pool',
      shape,
      flops: convCaseFlops(batch, s),
      // x and w read once, the pooled y written once; the winners (a byte per channel) with a gradient.
      bytes: 4 * (x.size + w.size + out) + (grad ? out : 0),
      ...sampledRun(go, seed, (i) => pooledCell(at, i, co, pg.OH, pg.OW)),
      dispose: () => {
        x.dispose();
        w.dispose();
        b.dispose();
      },
    };
  };
  /**
   * The pair with a gradient to come, what conv2dMaxPool2d runs for a trainable conv: the fused
   * kernel with its winners where the plan fuses; elsewhere the conv, then the pool keeping its
   * winners (relu' folded in). Called at the kernel level, since a recorded op would hold its
   * winners until a backward.
   */
  function withWinners(x: Tensor, w: Tensor, b: Tensor, g: ConvGeometry, pg: PoolGeometry): Tensor {
    if (convPoolFusesForGrad(g, pg, 'relu')) {
      const { y, codes, saved } = conv2dMaxPoolCodes(x, w, b, g, 'relu', pg, true);
      codes.dispose();
      saved?.v.dispose();
      return y;
    }
    const { y: z, saved } = conv2dForwardKeeping(x, w, b, g, 'relu', true);
    const { y, argmax } = pool2dRaw('max', z, pg, true, true);
    z.dispose();
    saved?.v.dispose();
    argmax?.dispose();
    return y;
  }
  return [
    { name: `${name}/forward_nograd`, make: make(false) },
    { name: `${name}/forward`, make: make(true) },
  ];
}

/** Pooled cell i of [batch, OH, OW, co]: the largest relu(conv) of its 2x2 window, the window's largest |terms|. */
function pooledCell(at: ReturnType<typeof convReference>, i: number, co: number, OH: number, OW: number): Want {
  const c = i % co;
  const p = (i - c) / co;
  const pw = p % OW;
  const ph = ((p - pw) / OW) % OH;
  const n = Math.floor(p / (OW * OH));
  let value = -Infinity;
  let absSum = 0;
  for (let dh = 0; dh < 2; dh++) {
    for (let dw = 0; dw < 2; dw++) {
      const w = at(n, 2 * ph + dh, 2 * pw + dw, c);
      value = Math.max(value, Math.max(0, w.value));
      absSum = Math.max(absSum, w.absSum);
    }
  }
  return { value, absSum };
}
