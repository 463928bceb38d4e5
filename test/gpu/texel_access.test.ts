// How kernels read their texture operands (src/gpu/texel_access.ts): the policy per adapter and
// setting, then every texture-reading kernel family (tex, sg, Winograd F(2x2) and F(4x4), their
// gradients, the RGB patch product, a dense layer) run on one device with sampled textures and
// with read-only storage textures. Both read the same texels, so the results must be identical
// to the bit, every texture-reading launch must have compiled with the access asked for, and the
// forward must match float64 (so that they are not the same wrong answer).
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher, kernelTarget } from '../../src/gpu/engine.js';
import { launchDefines, STORAGE_TEXEL_FEATURE, texelPolicyFor } from '../../src/gpu/texel_access.js';
import { hasSgShare, setConvVariant } from '../../src/kernels/plan_context.js';
import type { ConvVariant } from '../../src/kernels/conv_types.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';
import { randomPair, read64 } from '../helpers/tensors.js';

const gpu = await openGpu();
const initial = dispatcher().texelAccess;
afterEach(() => {
  setConvVariant(null);
  dispatcher().setTexelAccess(initial);
  delete process.env.DAWNFLOW_TEXEL;
});

describe('the policy', () => {
  const lavapipe = { software: true, wgslFeatures: [STORAGE_TEXEL_FEATURE] };
  const gpuFacts = { software: false, wgslFeatures: [STORAGE_TEXEL_FEATURE] };
  const old = { software: true, wgslFeatures: [] };

  test('storage on a software adapter that has the WGSL feature, sampled elsewhere', () => {
    expect(texelPolicyFor(lavapipe)).toEqual({ access: 'storage', storageCapable: true });
    expect(texelPolicyFor(gpuFacts)).toEqual({ access: 'sampled', storageCapable: false });
    expect(texelPolicyFor(old)).toEqual({ access: 'sampled', storageCapable: false });
  });

  test('DAWNFLOW_TEXEL forces either, and storage is refused where WGSL lacks it', () => {
    process.env.DAWNFLOW_TEXEL = 'storage';
    expect(texelPolicyFor(gpuFacts)).toEqual({ access: 'storage', storageCapable: true });
    expect(() => texelPolicyFor(old)).toThrow(/DAWNFLOW_TEXEL=storage needs WGSL's/);
    process.env.DAWNFLOW_TEXEL = 'sampled';
    expect(texelPolicyFor(lavapipe)).toEqual({ access: 'sampled', storageCapable: true });
  });

  test('the launch defines name the WGSL type and the mip-level argument', () => {
    expect(launchDefines({ A: 1 }, null)).toEqual({ A: 1 });
    expect(launchDefines({ A: 1 }, 'storage')).toEqual({
      A: 1,
      TEX_OPERAND: 'texture_storage_2d<rgba32float, read>',
      TEX_LEVEL: '',
    });
    expect(launchDefines({}, 'sampled')).toEqual({ TEX_OPERAND: 'texture_2d<f32>', TEX_LEVEL: ', 0' });
  });

  test('this device follows the policy', () => {
    // The policy of the kind of adapter the kernels are chosen for (DAWNFLOW_PLAN_AS may name a GPU).
    const software = kernelTarget() === 'software';
    const want = texelPolicyFor({ software, wgslFeatures: gpu.wgslFeatures }).access;
    expect(dispatcher().texelAccess).toBe(want);
  });
});

interface Case {
  variant: ConvVariant | null;
  x: [number, number, number, number];
  co: number;
  k: number;
}

// Awkward sizes: partial Winograd tiles, channel counts that fill no register evenly.
const CASES: Case[] = [
  { variant: 'tex', x: [2, 9, 7, 8], co: 12, k: 3 },
  { variant: 'sg', x: [3, 11, 10, 16], co: 20, k: 3 },
  { variant: 'wino', x: [2, 13, 11, 64], co: 68, k: 3 },
  { variant: 'wino4', x: [2, 17, 14, 64], co: 64, k: 3 },
  { variant: null, x: [2, 12, 12, 3], co: 32, k: 3 }, // RGB: the patch product
  { variant: null, x: [5, 1, 1, 300], co: 40, k: 1 }, // a dense layer
];

// Storage reads can be switched to where the device's staging textures were made for them.
const storageOk = texelPolicyFor({
  software: kernelTarget() === 'software',
  wgslFeatures: gpu.wgslFeatures,
}).storageCapable;
const sgOk = hasSgShare();

describe('sampled and storage reads give the same bits', () => {
  for (const c of CASES) {
    const name = `${c.variant ?? 'default'} x=[${c.x}] co=${c.co} k=${c.k}`;
    const ok = storageOk && (sgOk || c.variant === 'tex' || c.variant === null);
    const why = storageOk
      ? 'this adapter has no 8-64 lane subgroups for the sg kernels'
      : 'no read-only storage textures (or, with kernels chosen for a GPU, staging textures made for sampled reads only)';
    test.skipIf(!ok)(skipNote(name, ok, why), async () => {
      const ci = c.x[3];
      const x = randomPair(c.x, 0, 1);
      const w = randomPair([c.k, c.k, ci, c.co], -0.2, 0.2);
      const pad = c.k === 3 ? 'same' : 'valid';
      const out = [c.x[0], c.x[1], c.x[2], c.co];
      const r = randomPair(out);
      setConvVariant(c.variant);
      const run = async (access: 'sampled' | 'storage') => {
        try {
          dispatcher().setTexelAccess(access);
        } catch (e) {
          // Only storage can be refused, and storageOk said it is there.
          throw new Error(`${access}: ${(e as Error).message}`);
        }
        x.t.requiresGrad = true;
        w.t.requiresGrad = true;
        // Which access each texture-reading launch compiled with (the pipeline cache's argument).
        const cache = dispatcher().pipelines;
        const seen = new Set<string>();
        const original = cache.get;
        const get = original.bind(cache);
        cache.get = (spec, defines, constants, a) => {
          if (spec.bindings.includes('texture')) seen.add(`${a}:${defines.TEX_OPERAND}`);
          return get(spec, defines, constants, a);
        };
        let y: Tensor;
        try {
          y = tidy(() => {
            const y = conv2d(x.t, w.t, null, { padding: pad });
            backward(sum(mul(y, r.t)));
            return y;
          });
        } finally {
          cache.get = original;
        }
        const type = launchDefines({}, access).TEX_OPERAND;
        expect([...seen], `${name} ${access}`).toEqual([`${access}:${type}`]);
        const got = [await read64(y), await read64(x.t.grad!), await read64(w.t.grad!)];
        y.dispose();
        for (const p of [x, w]) {
          p.t.grad?.dispose();
          p.t.grad = null;
        }
        return got;
      };
      const sampled = await run('sampled');
      const storage = await run('storage');
      for (let i = 0; i < 3; i++) expect(storage[i], `${name} output ${i}`).toEqual(sampled[i]);
      // Not two equal wrong answers: the forward against float64 (Winograd F(4x4)'s bound).
      const want = ref.conv2dForward(x.host, c.x, w.host, [c.k, c.k, ci, c.co], null, [1, 1], pad, 'linear').y;
      const scale = Math.sqrt(want.reduce((s, v) => s + v * v, 0) / want.length);
      const worst = storage[0].reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
      expect(worst / scale, name).toBeLessThan(1.5e-4);
    });
  }
});
