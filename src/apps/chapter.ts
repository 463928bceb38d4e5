// The chapter's models (DLwP 5.3), defined once for `dawnflow chapter`, the single-approach
// commands, summary, profile and the benches: approach 1's dense classifier on conv-base
// features (RMSprop), approach 2's conv base + head with the base frozen (Adam), approach 3's
// base unfrozen from block5_conv1 (Adam). APPROACHES says the same in words for the report.
import { Container, Sequential } from '../nn/container.js';
import { Dense, Dropout, Flatten } from '../nn/layers/core.js';
import { Adam } from '../nn/optimizers/adam.js';
import type { Optimizer } from '../nn/optimizers/optimizer.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';
import type { Phase } from './chapter_state.js';

/** The first layer approach 3 trains again. */
export const FINE_TUNE_FROM = 'block5_conv1';

export interface ApproachInfo {
  title: string;
  optimizer: 'RMSprop' | 'Adam';
  /** What is trained, for the report's settings table. */
  trains: Record<string, string>;
}

export const APPROACHES: Record<Phase, ApproachInfo> = {
  'feature-extraction': {
    title: 'Approach 1: feature extraction',
    optimizer: 'RMSprop',
    trains: { head: 'Dense 256 relu, Dropout 0.5, Dense 1 sigmoid' },
  },
  transfer: {
    title: 'Approach 2: frozen base + head on augmented images',
    optimizer: 'Adam',
    trains: { base: 'frozen' },
  },
  'fine-tune': {
    title: `Approach 3: fine-tuning from ${FINE_TUNE_FROM}`,
    optimizer: 'Adam',
    trains: { base: `trainable from ${FINE_TUNE_FROM}` },
  },
};

export type Log = (line: string) => void;

/** Compiles `model` as approach `name` does (binary cross-entropy, accuracy); its optimizer. */
export function compileApproach(model: Container, name: Phase, lr: number): Optimizer {
  const optimizer = APPROACHES[name].optimizer === 'RMSprop' ? new RMSprop({ lr }) : new Adam({ lr });
  model.compile({ optimizer, loss: 'binary_crossentropy', metrics: ['acc'] });
  return optimizer;
}

/** Approach 1's classifier on flattened features of size `features`, compiled. */
export function featureClassifier(features: number, lr: number): Sequential {
  const head = new Sequential();
  head.add(new Dense({ units: 256, activation: 'relu', inputShape: [features] }));
  head.add(new Dropout({ rate: 0.5 }));
  head.add(new Dense({ units: 1, activation: 'sigmoid' }));
  compileApproach(head, 'feature-extraction', lr);
  return head;
}

/** conv base -> Flatten -> Dense 256 relu -> Dense 1 sigmoid. */
export function chapterModel(base: Container): Sequential {
  const model = new Sequential();
  model.add(base);
  model.add(new Flatten());
  model.add(new Dense({ units: 256, activation: 'relu' }));
  model.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return model;
}

/** Keras `conv_base.trainable = False`: the container contributes no trainable weights. */
export function freezeBase(base: Container): void {
  base.trainable = false;
}

/** freezeBase with the notebook's two prints of len(model.trainable_weights). */
export function freezeBaseLogged(model: Container, base: Container, log: Log): void {
  log(`This is the number of trainable weights before freezing the conv base: ${model.trainableWeights.length}`);
  freezeBase(base);
  log(`This is the number of trainable weights after freezing the conv base: ${model.trainableWeights.length}`);
}

/** Approach 2's model on `base`, the base frozen, compiled. */
export function frozenBaseModel(base: Container, lr: number, log: Log): Sequential {
  const model = chapterModel(base);
  freezeBaseLogged(model, base, log);
  compileApproach(model, 'transfer', lr);
  return model;
}

/** The chapter's fine-tuning set-up: the base trainable again, but only `from` and later layers. */
export function unfreezeFrom(base: Container, from = FINE_TUNE_FROM): void {
  base.getLayer(from);
  base.trainable = true;
  let on = false;
  for (const layer of base.layers) {
    if (layer.name === from) on = true;
    layer.trainable = on;
  }
}

/** unfreezeFrom with a print of the trainable weights it leaves. */
export function unfreezeLogged(model: Container, base: Container, log: Log): void {
  unfreezeFrom(base);
  log(`trainable weights after unfreezing from ${FINE_TUNE_FROM}: ${model.trainableWeights.length}`);
}

/** The VGG16 base nested in a chapter model (the layer holding block5_conv1), or null. */
export function findNestedBase(model: Container): Container | null {
  const holdsBase = (l: unknown): l is Container =>
    l instanceof Container && l.layers.some((x) => x.name === FINE_TUNE_FROM);
  return model.layers.find(holdsBase) ?? null;
}

/** Thrown when a model given to approach 3 is not approach 2's (no nested VGG16 base). */
export class NoNestedBaseError extends Error {}

/** Approach 3 on approach 2's `model` (read from `source`): unfrozen from block5_conv1, compiled. */
export function unfrozenModel(model: Container, lr: number, log: Log, source: string): Container {
  const base = findNestedBase(model);
  if (!base) {
    throw new NoNestedBaseError(
      `${source} has no nested VGG16 base with a ${FINE_TUNE_FROM} layer; save it with 'dawnflow transfer --save'`,
    );
  }
  unfreezeLogged(model, base, log);
  compileApproach(model, 'fine-tune', lr);
  return model;
}
