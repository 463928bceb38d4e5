// The chapter's models (DLwP 5.3): the VGG16 conv base with a dense head, frozen for approach 2
// and unfrozen from block5_conv1 for fine-tuning.
import { Container, Sequential } from '../nn/container.js';
import { Dense, Flatten } from '../nn/layers/core.js';

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

/** The chapter's fine-tuning set-up: the base trainable again, but only `from` and later layers. */
export function unfreezeFrom(base: Container, from = 'block5_conv1'): void {
  base.getLayer(from);
  base.trainable = true;
  let on = false;
  for (const layer of base.layers) {
    if (layer.name === from) on = true;
    layer.trainable = on;
  }
}

/** The VGG16 base nested in a chapter model (the layer holding block5_conv1), or null. */
export function findNestedBase(model: Container): Container | null {
  return model.layers.find((l): l is Container => l instanceof Container && l.layers.some((x) => x.name === 'block5_conv1')) ?? null;
}
