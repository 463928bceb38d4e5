// Pooling cases: every kind of src/kernels/pool.ts (POOLS) forward (with and, for a kind that
// keeps an argmax, without it) and backward at one block's 2x2 stride-2 pool, validated on
// sampled cells against the record's float64 reference.
import { Tensor } from '../../src/tensor/tensor.js';
import { pool2dGeometry } from '../../src/ops/maxpool2d.js';
import { pool2dBackwardRaw, pool2dRaw, POOLS, type PoolGeometry, type PoolKind } from '../../src/kernels/pool.js';
import { seeded } from '../peers/spec.js';
import type { BenchCase, CaseFactory } from '../harness.js';
import { checkSamples, readAndDispose, sampleIndices, SAMPLES } from './validate.js';

const POOL: [number, number] = [2, 2];

/** `got` against float64 `want` at sampled cells (one comparison or a sum of a few dy each). */
function checkAgainst(got: Float32Array, want: Float64Array, seed: number): string {
  const idx = sampleIndices(got.length, SAMPLES, seed);
  return checkSamples(got, idx, (i) => ({ value: want[i], absSum: Math.abs(want[i]) }));
}

/** Elements of the argmax the forward writes (its layout is the kernel's own: packed or not). */
function auxSize(kind: PoolKind, x: Tensor, g: PoolGeometry, grad: boolean): number {
  const { y, argmax } = pool2dRaw(kind, x, g, grad);
  const n = argmax?.size ?? 0;
  y.dispose();
  argmax?.dispose();
  return n;
}

/** The forward and backward cases of one kind; max pooling keeps the names block<N>_pool/forward, /backward. */
function kindCases(kind: PoolKind, batch: number, name: string, hw: number, c: number, seed: number): CaseFactory[] {
  const rec = POOLS[kind];
  const xs = [batch, hw, hw, c];
  const g = pool2dGeometry(xs, { poolSize: POOL, strides: POOL });
  const out = batch * g.OH * g.OW * c;
  const shape = `${batch}x${hw}x${hw}x${c} pool 2 stride 2`;
  const pass = (p: string) => `${name}/${kind === 'max' ? '' : `${kind}_`}${p}`;
  // The forward with the argmax a gradient needs, and without (noGrad, frozen layers).
  const forward = (grad: boolean) => (): BenchCase => {
    const xh = seeded(batch * hw * hw * c, seed);
    const x = Tensor.fromArray(xh, xs);
    const go = () => {
      const r = pool2dRaw(kind, x, g, grad);
      r.argmax?.dispose();
      return r.y;
    };
    return {
      name: pass(grad ? 'forward' : 'forward_nograd'),
      group: 'pool',
      shape,
      flops: out * (POOL[0] * POOL[1] - 1),
      // x read once; y (and the argmax, whatever its size) written once.
      bytes: 4 * (x.size + out + auxSize(kind, x, g, grad)),
      run: () => go().dispose(),
      validate: async () => {
        const want = rec.ref.forward(Float64Array.from(xh), xs, POOL, POOL, 'valid').y;
        return checkAgainst(await readAndDispose(go()), want, seed);
      },
      dispose: () => x.dispose(),
    };
  };
  const backward = (): BenchCase => {
    const xh = seeded(batch * hw * hw * c, seed);
    const dyh = seeded(out, seed + 1);
    const x = Tensor.fromArray(xh, xs);
    const dy = Tensor.fromArray(dyh, [batch, g.OH, g.OW, c]);
    // The forward's argmax, made once: the timed launch is the backward kernel alone.
    const { y, argmax } = pool2dRaw(kind, x, g);
    y.dispose();
    const go = () => pool2dBackwardRaw(kind, dy, argmax, g);
    return {
      name: pass('backward'),
      group: 'pool',
      shape,
      flops: x.size,
      bytes: 4 * (out + (argmax?.size ?? 0) + x.size),
      run: () => go().dispose(),
      validate: async () => {
        const want = rec.ref.backward(Float64Array.from(xh), xs, Float64Array.from(dyh), POOL, POOL, 'valid');
        return checkAgainst(await readAndDispose(go()), want, seed);
      },
      dispose: () => {
        x.dispose();
        dy.dispose();
        argmax?.dispose();
      },
    };
  };
  return [
    { name: pass('forward'), make: forward(true) },
    ...(rec.argmax ? [{ name: pass('forward_nograd'), make: forward(false) }] : []),
    { name: pass('backward'), make: backward },
  ];
}

/** Every pooling kind at one block's pool: x [batch, hw, hw, c], 2x2 stride 2. */
export function poolCases(batch: number, name: string, hw: number, c: number, seed: number): CaseFactory[] {
  return (Object.keys(POOLS) as PoolKind[]).flatMap((kind) => kindCases(kind, batch, name, hw, c, seed));
}
