// The kernel plan every GPU gets, run here: DAWNFLOW_PLAN_AS=gpu (src/gpu/kernel_target.ts) is set
// before this file's engine opens, so the planner takes the GEMM core with a GPU's split-K, the
// pools run as their own kernels and texture operands are read as sampled textures, whatever
// the adapter is. On lavapipe that is the only way the path of a GPU runs in CI; the float64
// reference below checks a whole forward and backward of a convnet through it.
import { describe, expect, test, vi } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { currentGpu, dispatcher, kernelTarget } from '../../src/gpu/engine.js';
import { kernelTargetNote } from '../../src/gpu/kernel_target.js';
import { profileRun } from '../../src/gpu/profile_run.js';
import { matmul } from '../../src/ops/matmul.js';
import { backward } from '../../src/autograd/tape.js';
import { adapterFacts, convPlan } from '../../src/kernels/plan_context.js';
import { planGemm } from '../../src/kernels/plan_split.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import { lossAndAccuracy } from '../../src/nn/loss.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { run } from '../../src/cli/main.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { f32, uniform } from '../helpers/random.js';
import { nextSeed, read64 } from '../helpers/tensors.js';

process.env.DAWNFLOW_PLAN_AS = 'gpu';
useGpu();

const S = 40;
const N = 4;

/** The book's small convnet, narrowed and without dropout: conv+pool twice, then two dense layers. */
function convnet(): Sequential {
  const m = new Sequential();
  m.add(new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [S, S, 3] }));
  m.add(new MaxPooling2D({ poolSize: 2 }));
  m.add(new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }));
  m.add(new MaxPooling2D({ poolSize: 2 }));
  m.add(new Flatten());
  m.add(new Dense({ units: 16, activation: 'relu' }));
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return m;
}

/** The loss and every weight's gradient of convnet() in float64 (Keras 2.3.1's loss from the logits). */
function reference(w: Float64Array[], x: Float64Array, y: Float64Array): { loss: number; grads: Float64Array[] } {
  const c1 = ref.conv2dForward(x, [N, S, S, 3], w[0], [3, 3, 3, 8], w[1], [1, 1], 'valid', 'relu');
  const p1 = ref.maxPool2dForward(c1.y, c1.shape, [2, 2], [2, 2], 'valid');
  const c2 = ref.conv2dForward(p1.y, p1.shape, w[2], [3, 3, 8, 16], w[3], [1, 1], 'valid', 'relu');
  const p2 = ref.maxPool2dForward(c2.y, c2.shape, [2, 2], [2, 2], 'valid');
  const flat = p2.shape[1] * p2.shape[2] * p2.shape[3];
  const h = ref.denseForward(p2.y, w[4], w[5], N, flat, 16, 'relu');
  const z = ref.denseForward(h, w[6], w[7], N, 16, 1, 'linear');
  const d3 = ref.denseBackward(h, w[6], ref.bceFromLogitsGradExact(z, y), N, 16, 1);
  const d2 = ref.denseBackward(p2.y, w[4], ref.activationBackward(h, d3.dx, 'relu'), N, flat, 16);
  const dp2 = ref.maxPool2dBackward(c2.y, c2.shape, d2.dx, [2, 2], [2, 2], 'valid');
  const g2 = ref.activationBackward(c2.y, dp2, 'relu');
  const d1 = ref.conv2dBackward(p1.y, p1.shape, w[2], [3, 3, 8, 16], g2, [1, 1], 'valid');
  const dp1 = ref.maxPool2dBackward(c1.y, c1.shape, d1.dx, [2, 2], [2, 2], 'valid');
  const g1 = ref.activationBackward(c1.y, dp1, 'relu');
  const d0 = ref.conv2dBackward(x, [N, S, S, 3], w[0], [3, 3, 3, 8], g1, [1, 1], 'valid');
  return { loss: ref.bceFromLogits(z, y), grads: [d0.dw, d0.db, d1.dw, d1.db, d2.dw, d2.db, d3.dw, d3.db] };
}

describe('the GPU kernel plan on this adapter (DAWNFLOW_PLAN_AS=gpu)', () => {
  test("is in force: the GEMM core with a GPU's split-K, sampled texture reads", () => {
    expect(kernelTarget()).toBe('gpu');
    expect(adapterFacts().software).toBe(false);
    expect(dispatcher().texelAccess).toBe('sampled');
    // The first conv's weight gradient: a 27 x 8 product over 4 x 38 x 38 pixels, split for
    // a GPU's thousands of lanes (12 slices) where a software adapter takes 8 at most.
    const g = { batch: N, H: S, W: S, CI: 3, CO: 8, KH: 3, KW: 3, SH: 1, SW: 1, PT: 0, PL: 0, OH: 38, OW: 38 };
    const plan = convPlan('backward_weight', g);
    if (plan.variant !== 'gemm') throw new Error(`planned ${plan.variant}, not gemm`);
    expect(plan.gemm).toEqual(planGemm(27, 8, N * 38 * 38, plan.gemm.core, { software: false }));
    expect(plan.gemm.S).toBeGreaterThan(8);
  });

  test('dawnflow info says so, and that the setting chose it where the adapter is not a GPU', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await run(['info', '--json']);
    const printed = JSON.parse(log.mock.calls.map((c) => c.join(' ')).join('\n'));
    log.mockRestore();
    expect(code).toBe(0);
    const why = printed.adapter.software ? ' \\(DAWNFLOW_PLAN_AS\\)' : '';
    expect(printed.kernels).toMatch(new RegExp(`^chosen for a GPU${why}; texture operands read as sampled textures$`));
  });

  test("a profile says its kernels were not the adapter's own plan, where they were not", async () => {
    expect(kernelTargetNote('gpu', true)).toMatch(/DAWNFLOW_PLAN_AS=gpu/);
    expect(kernelTargetNote('software', false)).toMatch(/DAWNFLOW_PLAN_AS=software/);
    expect(kernelTargetNote('gpu', false)).toBeNull();
    expect(kernelTargetNote('software', true)).toBeNull();
    const a = Tensor.fromArray(new Float32Array(64).fill(1), [8, 8]);
    const step = async () => {
      const c = matmul(a, a);
      await c.data();
      c.dispose();
    };
    const report = await profileRun({ workload: 'matmul', step, steps: 1 });
    const note = kernelTargetNote(kernelTarget(), currentGpu().info.software);
    if (note) expect(report.notes).toContain(note);
    else expect(report.notes.join(' ')).not.toMatch(/DAWNFLOW_PLAN_AS/);
    a.dispose();
  });

  test('a convnet forward and backward match float64: the loss and every gradient', async () => {
    const seed = nextSeed();
    const model = convnet();
    model.compile({ optimizer: new RMSprop({ lr: 1e-4 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const x = f32(uniform(N * S * S * 3, 0, 1, seed));
    const y = Float64Array.from([0, 1, 1, 0]);
    const w: Float64Array[] = [];
    for (const v of model.weights) w.push(await read64(v.value));
    const want = reference(w, x, y);

    dispatcher().resetCounts();
    const xs = Tensor.fromArray(Float32Array.from(x), [N, S, S, 3]);
    const ys = Tensor.fromArray(Float32Array.from(y), [N, 1]);
    const [loss, acc] = lossAndAccuracy(model, xs, ys, true);
    backward(loss);
    const got = (await loss.data())[0];
    expect(Math.abs(got - want.loss) / want.loss, `seed ${seed}: loss ${got} vs ${want.loss}`).toBeLessThan(1e-5);
    for (const [k, v] of model.weights.entries()) {
      const grad = v.value.grad;
      expect(grad, `${v.name} has a gradient`).toBeTruthy();
      const scale = Math.max(...want.grads[k].map(Math.abs));
      expectClose(await read64(grad!), want.grads[k], {
        atol: 1e-5 * scale,
        rtol: 1e-4,
        label: `seed ${seed} ${v.name}`,
      });
    }
    // The GPU's kernels ran, and none of the software adapter's.
    const ran = [...dispatcher().counts.keys()];
    expect(ran).toEqual(expect.arrayContaining(['conv2d_forward', 'conv2d_backward_weight', 'conv2d_backward_input']));
    // The first dense layer's product (4 rows, K 1024) is split on a GPU: its slices are summed
    // with the bias and relu in one launch.
    expect(ran).toContain('gemm_split_sum');
    expect(
      ran.filter((k) => /winograd|_sg|_tex|patches/.test(k)),
      ran.join(', '),
    ).toEqual([]);
    for (const t of [xs, ys, loss, acc]) t.dispose();
  });
});
