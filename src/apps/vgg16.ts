// keras.applications.VGG16 (Keras 2.3 / keras-applications 1.0.8): the architecture, the layer
// names, the input checks, and weights from a Keras .h5 file (see weights/README.md).
import { Model } from '../nn/container.js';
import { Conv2D } from '../nn/layers/convolutional.js';
import { Dense, Flatten, InputLayer } from '../nn/layers/core.js';
import { MaxPooling2D } from '../nn/layers/pooling.js';
import type { Layer } from '../nn/layer.js';
import type { KernelInitializer } from '../tensor/init.js';
import { loadWeightsSync } from '../io/keras_weights.js';
import { vgg16Convs } from '../ops/vgg16_convs.js';

export interface Vgg16Options {
  includeTop?: boolean;
  /** (h, w, 3); default 224x224x3. With the top it must be exactly 224x224x3. */
  inputShape?: [number, number, number];
  /** A path to a Keras .h5 weights file, or null for random (glorot_uniform) weights. */
  weights?: string | null;
  classes?: number;
  /** The conv kernels' random draw when there are no weights (default Keras's glorot_uniform). */
  kernelInitializer?: KernelInitializer;
}

export function checkVggInput(shape: number[] | undefined, includeTop: boolean): [number, number, number] {
  const s = shape ?? [224, 224, 3];
  const text = `input_shape=(${s.join(', ')})`;
  if (s.length !== 3) throw new Error(`dawnflow: VGG16 needs a 3-D input_shape (h, w, 3); got ${text}`);
  if (s[2] !== 3) throw new Error(`dawnflow: VGG16 input must have 3 channels; got ${text}`);
  if (includeTop && (s[0] !== 224 || s[1] !== 224)) {
    throw new Error(`dawnflow: with includeTop VGG16's input must be 224x224x3; got ${text} (use includeTop: false)`);
  }
  if (s[0] < 32 || s[1] < 32) throw new Error(`dawnflow: VGG16 input must be at least 32x32; got ${text}`);
  return [s[0], s[1], s[2]];
}

/** The VGG16 layers and model (named "vgg16"); weights are loaded by the caller's loader. */
export function vgg16Architecture(o: Vgg16Options = {}): Model {
  const includeTop = o.includeTop ?? false;
  const inputShape = checkVggInput(o.inputShape, includeTop);
  const layers: Layer[] = [new InputLayer({ inputShape })];
  for (const c of vgg16Convs()) {
    const kernelInitializer = o.kernelInitializer;
    layers.push(
      new Conv2D({
        filters: c.co,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: c.name,
        kernelInitializer,
      }),
    );
    if (c.last) layers.push(new MaxPooling2D({ poolSize: 2, strides: 2, name: `block${c.block}_pool` }));
  }
  if (includeTop) {
    layers.push(new Flatten({ name: 'flatten' }));
    layers.push(new Dense({ units: 4096, activation: 'relu', name: 'fc1' }));
    layers.push(new Dense({ units: 4096, activation: 'relu', name: 'fc2' }));
    layers.push(new Dense({ units: o.classes ?? 1000, activation: 'softmax', name: 'predictions' }));
  }
  return new Model({ name: 'vgg16', layers });
}

/** keras.applications.VGG16: the architecture, with weights from `o.weights` when given. */
export function vgg16(o: Vgg16Options = {}): Model {
  const model = vgg16Architecture(o);
  if (!o.weights) return model;
  try {
    loadWeightsSync(model, o.weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
