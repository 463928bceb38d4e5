// Kernel cases at the chapter's shapes (VGG16 at 150x150): every conv layer's forward,
// backward-input and backward-weight, the five max-pools forward and backward (pool.ts), dense
// 8192 -> 256 forward and backward, the fused RMSprop and Adam updates over the block5 + head
// parameters, the augmentation warp of a batch, every elementwise op of the op table
// (elementwise.ts), and the matmul that gives the adapter's GEMM ceiling.
//
// Cases are made lazily (a filtered run allocates only what it times). Each validates against
// float64 first: a seeded sample of 256 outputs computed by plain loops (the full reference is
// far too slow in JS at these sizes; they are the sums src/cpu/reference.ts computes, element
// by element), or the whole float64 reference where it is cheap (the augmentation warp).
import { Tensor } from '../../src/tensor/tensor.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv.js';
import { patchesRaw } from '../../src/kernels/conv_patches.js';
import { convPatchColumns } from '../../src/kernels/plan_context.js';
import { patchParamGrads } from '../../src/ops/conv_patches.js';
import { dense, matmul } from '../../src/ops/matmul.js';
import { gemmRaw } from '../../src/kernels/matmul.js';
import { vgg16Convs, type VggConv } from '../../src/ops/vgg16_convs.js';
import { augmentBatch, augmentWarpKernel, packWarpParams, uploadPixels } from '../../src/kernels/augment.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { CHAPTER_AUGMENTATION, randomTransform, transformMatrix, warpReference } from '../../src/data/augment.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Variable } from '../../src/nn/layer.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import type { Optimizer } from '../../src/nn/optimizers/optimizer.js';
import { Rng } from '../../src/tensor/random.js';
import { seeded } from '../peers/spec.js';
import type { BenchCase, CaseFactory } from '../harness.js';
import { checkSamples, readAndDispose, sampledRun, sampleIndices, SAMPLES, type Want } from './validate.js';
import { poolCases } from './pool.js';
import { elementwiseCases } from './elementwise.js';
import { convPoolCases } from './conv_pool.js';
import { convCaseFlops, convReference } from './conv_reference.js';

// --- convolutions -----------------------------------------------------------------------------

/** Forward (bias + relu fused, as the layer runs it), backward-input, backward-weight. */
export function convCases(batch: number, s: VggConv, seed: number): CaseFactory[] {
  const { hw, ci, co } = s;
  const xs = [batch, hw, hw, ci];
  const ws = [3, 3, ci, co];
  const shape = `${batch}x${hw}x${hw}x${ci} * 3x3x${ci}x${co} same`;
  const flops = convCaseFlops(batch, s);
  const geometry = () => conv2dGeometry(xs, ws, { padding: 'same' });
  const mk = (
    pass: string,
    bytes: number,
    make: () => Omit<BenchCase, 'name' | 'group' | 'shape' | 'flops' | 'bytes'>,
  ): CaseFactory => ({
    name: `${s.name}/${pass}`,
    make: () => ({ name: `${s.name}/${pass}`, group: 'conv', shape, flops, bytes, ...make() }),
  });
  const xBytes = 4 * batch * hw * hw * ci;
  const yBytes = 4 * batch * hw * hw * co;
  const wBytes = 4 * 9 * ci * co;
  return [
    mk('forward', xBytes + wBytes + yBytes, () => {
      const xh = seeded(batch * hw * hw * ci, seed + 1);
      const wh = seeded(9 * ci * co, seed + 2, 0.1);
      const bh = seeded(co, seed + 3, 0.1);
      const [x, w, b] = [Tensor.fromArray(xh, xs), Tensor.fromArray(wh, ws), Tensor.fromArray(bh, [co])];
      const at = convReference(xh, wh, bh, geometry());
      const fwd = () => noGrad(() => conv2d(x, w, b, { padding: 'same', activation: 'relu' }));
      return {
        ...sampledRun(fwd, seed, (i) => {
          const c = i % co;
          const p = (i - c) / co;
          const ow = p % hw;
          const oh = ((p - ow) / hw) % hw;
          const want = at(Math.floor(p / (hw * hw)), oh, ow, c);
          return { value: Math.max(0, want.value), absSum: want.absSum };
        }),
        dispose: () => {
          x.dispose();
          w.dispose();
          b.dispose();
        },
      };
    }),
    mk('backward_input', yBytes + wBytes + xBytes, () => {
      const g = geometry();
      const wh = seeded(9 * ci * co, seed + 4, 0.1);
      const dyh = seeded(batch * hw * hw * co, seed + 5);
      const [w, dy] = [Tensor.fromArray(wh, ws), Tensor.fromArray(dyh, [batch, hw, hw, co])];
      return {
        ...sampledRun(
          () => conv2dBackwardInput(dy, w, g),
          seed,
          (i) => {
            const c = i % ci;
            const p = (i - c) / ci;
            const iw = p % hw;
            const ih = ((p - iw) / hw) % hw;
            const n = Math.floor(p / (hw * hw));
            let acc = 0;
            let abs = 0;
            for (let kh = 0; kh < 3; kh++) {
              const oh = ih + g.PT - kh;
              if (oh < 0 || oh >= g.OH) continue;
              for (let kw = 0; kw < 3; kw++) {
                const ow = iw + g.PL - kw;
                if (ow < 0 || ow >= g.OW) continue;
                const db = ((n * g.OH + oh) * g.OW + ow) * co;
                const wb = ((kh * 3 + kw) * ci + c) * co;
                for (let k = 0; k < co; k++) {
                  const t = dyh[db + k] * wh[wb + k];
                  acc += t;
                  abs += Math.abs(t);
                }
              }
            }
            return { value: acc, absSum: abs };
          },
        ),
        dispose: () => {
          w.dispose();
          dy.dispose();
        },
      };
    }),
    mk('backward_weight', xBytes + yBytes + wBytes, () => {
      const g = geometry();
      const xh = seeded(batch * hw * hw * ci, seed + 6);
      const dyh = seeded(batch * hw * hw * co, seed + 7);
      const [x, dy] = [Tensor.fromArray(xh, xs), Tensor.fromArray(dyh, [batch, hw, hw, co])];
      // As the layer's backward runs it: an RGB layer from the patch matrix its forward made.
      const PW = convPatchColumns(g);
      const patches = PW === null ? null : patchesRaw(x, g, PW);
      const weightGrad = () => {
        if (patches === null) return conv2dBackwardWeight(x, dy, g);
        const { dw, db } = patchParamGrads(patches, dy, g, PW!);
        db.dispose();
        return dw;
      };
      return {
        ...sampledRun(weightGrad, seed, (i) => {
          const c = i % co;
          const k = ((i - c) / co) % ci;
          const kw = Math.floor(i / (co * ci)) % 3;
          const kh = Math.floor(i / (co * ci * 3));
          let acc = 0;
          let abs = 0;
          for (let n = 0; n < batch; n++) {
            for (let oh = 0; oh < g.OH; oh++) {
              const ih = oh + kh - g.PT;
              if (ih < 0 || ih >= hw) continue;
              for (let ow = 0; ow < g.OW; ow++) {
                const iw = ow + kw - g.PL;
                if (iw < 0 || iw >= hw) continue;
                const t = xh[((n * hw + ih) * hw + iw) * ci + k] * dyh[((n * g.OH + oh) * g.OW + ow) * co + c];
                acc += t;
                abs += Math.abs(t);
              }
            }
          }
          return { value: acc, absSum: abs };
        }),
        dispose: () => {
          x.dispose();
          dy.dispose();
          patches?.dispose();
        },
      };
    }),
  ];
}

// --- dense ----------------------------------------------------------------------------------

/** Dense k -> n at a batch: forward (bias + relu fused), dX = dZ.W^T, dW = X^T.dZ. */
export function denseCases(batch: number, k: number, n: number, seed: number): CaseFactory[] {
  const name = `dense_${k}x${n}`;
  const flops = 2 * batch * k * n;
  const bytes = 4 * (batch * k + k * n + batch * n);
  const data = () => ({
    xh: seeded(batch * k, seed),
    wh: seeded(k * n, seed + 1, 0.05),
    dzh: seeded(batch * n, seed + 2),
    bh: seeded(n, seed + 3, 0.1),
  });
  const dot = (len: number, a: (j: number) => number, b: (j: number) => number, bias = 0): Want => {
    let acc = bias;
    let abs = Math.abs(bias);
    for (let j = 0; j < len; j++) {
      const t = a(j) * b(j);
      acc += t;
      abs += Math.abs(t);
    }
    return { value: acc, absSum: abs };
  };
  return [
    {
      name: `${name}/forward`,
      make: () => {
        const { xh, wh, bh } = data();
        const [x, w, b] = [Tensor.fromArray(xh, [batch, k]), Tensor.fromArray(wh, [k, n]), Tensor.fromArray(bh, [n])];
        const fwd = () => noGrad(() => dense(x, w, b, 'relu'));
        return {
          name: `${name}/forward`,
          group: 'dense',
          shape: `${batch}x${k} . ${k}x${n} + b, relu`,
          flops,
          bytes,
          ...sampledRun(fwd, seed, (i) => {
            const r = Math.floor(i / n);
            const cc = i % n;
            const w0 = dot(
              k,
              (j) => xh[r * k + j],
              (j) => wh[j * n + cc],
              bh[cc],
            );
            return { value: Math.max(0, w0.value), absSum: w0.absSum };
          }),
          dispose: () => {
            x.dispose();
            w.dispose();
            b.dispose();
          },
        };
      },
    },
    {
      name: `${name}/backward_input`,
      make: () => {
        const { wh, dzh } = data();
        const [w, dz] = [Tensor.fromArray(wh, [k, n]), Tensor.fromArray(dzh, [batch, n])];
        const go = () => gemmRaw(dz, w, { transB: true });
        return {
          name: `${name}/backward_input`,
          group: 'dense',
          shape: `dZ ${batch}x${n} . W^T ${n}x${k}`,
          flops,
          bytes,
          ...sampledRun(go, seed, (i) => {
            const r = Math.floor(i / k);
            const cc = i % k;
            return dot(
              n,
              (j) => dzh[r * n + j],
              (j) => wh[cc * n + j],
            );
          }),
          dispose: () => {
            w.dispose();
            dz.dispose();
          },
        };
      },
    },
    {
      name: `${name}/backward_weight`,
      make: () => {
        const { xh, dzh } = data();
        const [x, dz] = [Tensor.fromArray(xh, [batch, k]), Tensor.fromArray(dzh, [batch, n])];
        const go = () => gemmRaw(x, dz, { transA: true });
        return {
          name: `${name}/backward_weight`,
          group: 'dense',
          shape: `X^T ${k}x${batch} . dZ ${batch}x${n}`,
          flops,
          bytes,
          ...sampledRun(go, seed, (i) => {
            const r = Math.floor(i / n);
            const cc = i % n;
            return dot(
              batch,
              (j) => xh[j * k + r],
              (j) => dzh[j * n + cc],
            );
          }),
          dispose: () => {
            x.dispose();
            dz.dispose();
          },
        };
      },
    },
  ];
}

// --- optimizers -----------------------------------------------------------------------------

/** The variables approach 3 trains: block5's three convs and the dense head. */
export const BLOCK5_HEAD_SHAPES: number[][] = [
  [3, 3, 512, 512],
  [512],
  [3, 3, 512, 512],
  [512],
  [3, 3, 512, 512],
  [512],
  [8192, 256],
  [256],
  [256, 1],
  [1],
];

/** One fused update step over every block5 + head variable (10 launches), via Optimizer.step. */
export function optimizerCases(seed: number): CaseFactory[] {
  const total = BLOCK5_HEAD_SHAPES.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
  const mk = (name: 'rmsprop' | 'adam'): CaseFactory => ({
    name: `${name}/block5+head`,
    make: () => {
      const values = BLOCK5_HEAD_SHAPES.map((sh, i) =>
        seeded(
          sh.reduce((a, b) => a * b, 1),
          seed + 2 * i,
          0.05,
        ),
      );
      const grads = BLOCK5_HEAD_SHAPES.map((sh, i) =>
        seeded(
          sh.reduce((a, b) => a * b, 1),
          seed + 2 * i + 1,
          0.01,
        ),
      );
      const vars = BLOCK5_HEAD_SHAPES.map((sh, i) => {
        const v = new Variable(`bench/${name}_${i}:0`, Tensor.fromArray(values[i], sh));
        v.value.grad = Tensor.fromArray(grads[i], sh);
        return v;
      });
      const lr = 1e-3;
      const make = (): Optimizer => (name === 'adam' ? new Adam({ lr }) : new RMSprop({ lr }));
      const opt = make();
      // Bytes: Adam reads p, g, m, v and writes p, m, v; RMSprop reads p, g, a and writes p, a.
      const words = name === 'adam' ? 7 : 5;
      return {
        name: `${name}/block5+head`,
        group: 'optimizer',
        shape: `${total.toLocaleString('en-US')} params in ${vars.length} variables`,
        flops: (name === 'adam' ? 11 : 7) * total,
        bytes: 4 * words * total,
        run: () => opt.step(vars),
        validate: async () => {
          // One step from zero slots on fresh copies, against Keras 2.3's formulas in float64.
          const fresh = vars.map((v, i) => {
            const c = new Variable(`check_${i}:0`, Tensor.fromArray(values[i], v.shape));
            c.value.grad = v.value.grad;
            return c;
          });
          const o = make();
          o.step(fresh);
          const parts: string[] = [];
          for (const i of [0, 6]) {
            const got = (await fresh[i].value.data()) as Float32Array;
            parts.push(
              checkSamples(
                got,
                sampleIndices(got.length, SAMPLES / 2, seed + i),
                (j) => {
                  const p = values[i][j];
                  const g = grads[i][j];
                  let value: number;
                  if (name === 'adam') {
                    const lrT = (lr * Math.sqrt(1 - 0.999)) / (1 - 0.9);
                    value = p - (lrT * (0.1 * g)) / (Math.sqrt(0.001 * g * g) + 1e-7);
                  } else {
                    value = p - (lr * g) / (Math.sqrt(0.1 * g * g) + 1e-7);
                  }
                  // The step is ~lr = 1e-3; the 1e-5 floor of the tolerance is 1% of it.
                  return { value, absSum: 0 };
                },
                `sampled ${BLOCK5_HEAD_SHAPES[i].join('x')}`,
              ),
            );
          }
          o.dispose();
          for (const c of fresh) c.value.dispose();
          return parts.join('; ');
        },
        dispose: () => {
          opt.dispose();
          for (const v of vars) {
            v.value.grad?.dispose();
            v.value.dispose();
          }
        },
      };
    },
  });
  return [mk('rmsprop'), mk('adam')];
}

// --- augmentation ---------------------------------------------------------------------------

/** The chapter's ImageDataGenerator warp of a uint8 batch (src/kernels/augment.ts). */
export function augmentCase(batch: number, size: number, seed: number): CaseFactory {
  const name = 'augment_warp/chapter';
  return {
    name,
    make: () => {
      const shape: [number, number, number, number] = [batch, size, size, 3];
      const r = new Rng(seed);
      const bytes = Uint8Array.from({ length: batch * size * size * 3 }, () => r.nextU32() & 255);
      const params = Array.from({ length: batch }, () => randomTransform(CHAPTER_AUGMENTATION, size, size, r));
      const transforms = params.map((p) => ({
        matrix: transformMatrix(p, size, size),
        flipHorizontal: p.flipHorizontal,
        flipVertical: p.flipVertical,
      }));
      const o = { fillMode: 'nearest' as const, cval: 0, rescale: 1 / 255 };
      const pixels = uploadPixels(bytes, shape);
      const px = batch * size * size;
      // augmentBatch uploads the per-image matrices on every call (a submit): the timed launch
      // is its kernel alone, on matrices uploaded once; validation goes through augmentBatch.
      const prm = Tensor.fromArray(packWarpParams(transforms, size, size), [transforms.length * 16], 'uint32');
      const warp = { pixels: px, h: size, w: size, words: pixels.size, fill: 0 /* nearest */, identity: false, o };
      return {
        name,
        group: 'augment',
        shape: `${batch}x${size}x${size}x3 u8 -> f32, chapter warp`,
        flops: 30 * px,
        bytes: 3 * px + 12 * px,
        run: () => {
          const y = Tensor.empty([batch, size, size, 3], 'float32', 'augment');
          dispatcher().launch(augmentWarpKernel, warp, [pixels.buffer, prm.buffer, y.buffer]);
          y.dispose();
        },
        validate: async () => {
          const got = await readAndDispose(augmentBatch(pixels, shape, transforms, o));
          // The whole first image against the float64 SciPy-exact reference.
          const one = size * size * 3;
          const want = warpReference(
            Float64Array.from(bytes.subarray(0, one)),
            size,
            size,
            3,
            transforms[0].matrix,
            params[0],
            'nearest',
            0,
          );
          let worst = 0;
          for (let i = 0; i < one; i++) {
            const d = Math.abs(got[i] - want[i] / 255);
            if (!(d <= 1e-3))
              throw new Error(`validation failed at element ${i}: got ${got[i]}, float64 ${want[i] / 255}`);
            worst = Math.max(worst, d);
          }
          return `max |d| ${worst.toExponential(2)} over ${one} values (image 0)`;
        },
        dispose: () => {
          pixels.dispose();
          prm.dispose();
        },
      };
    },
  };
}

// --- the GEMM ceiling -----------------------------------------------------------------------

/** The public matmul op on n x n x n: the engine's best GEMM path, whatever it picks. */
export function matmulCeilingCase(n: number, seed: number): BenchCase {
  const ah = seeded(n * n, seed);
  const bh = seeded(n * n, seed + 1);
  const [a, b] = [Tensor.fromArray(ah, [n, n]), Tensor.fromArray(bh, [n, n])];
  const go = () => noGrad(() => matmul(a, b));
  return {
    name: `matmul_${n}/ceiling`,
    group: 'ceiling',
    shape: `${n}x${n} . ${n}x${n}`,
    flops: 2 * n * n * n,
    bytes: 12 * n * n,
    ...sampledRun(go, seed, (i) => {
      const r = Math.floor(i / n);
      const c = i % n;
      let acc = 0;
      let abs = 0;
      for (let k = 0; k < n; k++) {
        const t = ah[r * n + k] * bh[k * n + c];
        acc += t;
        abs += Math.abs(t);
      }
      return { value: acc, absSum: abs };
    }),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** Every kernel case of the suite, in the order of a training step's appearance. */
export function kernelCases(batch: number, size: number): CaseFactory[] {
  const cases: CaseFactory[] = [];
  vgg16Convs(size).forEach((s, i) => {
    cases.push(...convCases(batch, s, 100 + 10 * i));
    // Each block ends with its pool, on that block's last conv output.
    if (s.last) cases.push(...poolCases(batch, `block${s.block}_pool`, s.hw, s.co, 300 + i));
    if (s.last) cases.push(...convPoolCases(batch, s, 800 + 10 * i));
  });
  const feat = Math.floor(size / 32) ** 2 * 512;
  cases.push(...denseCases(batch, feat, 256, 400));
  cases.push(...optimizerCases(500));
  cases.push(augmentCase(batch, size, 600));
  cases.push(...elementwiseCases(batch, size, 700));
  return cases;
}
