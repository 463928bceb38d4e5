// The workloads `dawnflow profile` times: the chapter's VGG16 training steps (transfer,
// fine-tune), the feature extraction forward and the from-scratch convnet's training step (every
// layer trained), built on random images, with the optimizer's updates charged to the layers
// whose weights they update.
import { tidy } from '../tensor/scope.js';
import { PRESETS, SCRATCH_PRESETS } from './chapter_presets.js';
import { noGrad } from '../autograd/tape.js';
import { inPhase, inScope } from '../gpu/profile_scope.js';
import { Container } from '../nn/container.js';
import type { Variable } from '../nn/layer.js';
import type { Optimizer } from '../nn/optimizers/optimizer.js';
import { trainOnBatch } from '../nn/training.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { chapterModel, compileApproach, freezeBase, unfreezeFrom } from './chapter.js';
import { smallConvnet } from './small_convnet.js';
import { vgg16 } from './vgg16.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';

export const WORKLOADS = ['transfer', 'fine-tune', 'features', 'scratch'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Maps each weight to the layer path its forward ran in, for optimizer updates. */
function weightPaths(model: Container): Map<Variable, string[]> {
  const out = new Map<Variable, string[]>();
  const walk = (c: Container, prefix: string[]) => {
    for (const l of c.layers) {
      const path = [...prefix, l.name];
      if (l instanceof Container) walk(l, path);
      else for (const v of l.weights) out.set(v, path);
    }
  };
  walk(model, [model.name]);
  return out;
}

/** Charges each of `model`'s optimizer updates to its variable's layer, in the optimizer phase. */
export function scopeOptimizer(opt: Optimizer, model: Container): void {
  const paths = weightPaths(model);
  // update() is the one per-variable hook Optimizer has; wrapping the instance's methods keeps
  // the optimizer classes free of profiling code.
  // Both pass on every argument, whatever the signatures grow (the gradient flags did).
  type Hook = (v: Variable, ...rest: unknown[]) => void;
  const o = opt as unknown as { update: Hook; step: (...args: unknown[]) => void };
  const [update, step] = [o.update.bind(opt), o.step.bind(opt)];
  o.update = (v, ...rest) =>
    inScope({ path: paths.get(v) ?? [], phase: 'optimizer' }, 'optimizer', () => update(v, ...rest));
  o.step = (...args) => inPhase('optimizer', () => step(...args));
}

function randomImages(n: number, size: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.fromArray(
    Float32Array.from({ length: n * size * size * 3 }, () => r.next()),
    [n, size, size, 3],
  );
}

/** A workload's model and one step of it (random images and labels); dispose() frees them. */
export interface ProfileWorkload {
  model: Container;
  step: () => Promise<void>;
  dispose: () => void;
}

/**
 * VGG16 at size x size (weights from the file, else random) and a batch of random images:
 * features runs the base forward in inference mode; transfer and fine-tune train the chapter's
 * model (base frozen, or unfrozen from block5_conv1) with Adam, its updates charged to layers.
 */
export function profileWorkload(w: Workload, size: number, batch: number, weights: string | null): ProfileWorkload {
  const x = randomImages(batch, size, 1);
  const y = Tensor.fromArray(
    Float32Array.from({ length: batch }, (_, i) => i % 2),
    [batch, 1],
  );
  if (w === 'scratch') return scratchWorkload(size, x, y);
  const base = vgg16({ inputShape: [size, size, 3], weights });
  let model: Container = base;
  let step: () => Promise<void>;
  if (w === 'features') {
    step = async () => {
      const out = tidy(() => noGrad(() => base.apply(x, { training: false })));
      await out.data();
      out.dispose();
    };
  } else {
    model = chapterModel(base);
    if (w === 'transfer') freezeBase(base);
    else unfreezeFrom(base);
    // The chapter's own optimizers and rates (approach 2, approach 3): kernel times do not depend on the rates.
    const opt = compileApproach(model, w, w === 'transfer' ? PRESETS.full.tr.lr : PRESETS.full.ft.lr);
    scopeOptimizer(opt, model);
    step = async () => {
      await trainOnBatch(model, { x, y, size: batch });
    };
  }
  return {
    model,
    step,
    dispose: () => {
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/** The from-scratch convnet (DLwP 5.2) trained whole with RMSprop at the book's rate. */
function scratchWorkload(size: number, x: Tensor, y: Tensor): ProfileWorkload {
  const model = smallConvnet([size, size, 3]);
  const opt = new RMSprop({ lr: SCRATCH_PRESETS.full.lr });
  model.compile({ optimizer: opt, loss: 'binary_crossentropy', metrics: ['acc'] });
  scopeOptimizer(opt, model);
  return {
    model,
    step: async () => {
      await trainOnBatch(model, { x, y, size: x.shape[0] });
    },
    dispose: () => {
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}
