// Which branch of binary_crossentropy a model's output takes: the one place this is decided.
//
// Keras 2.3.1 computes the loss on the model's output tensor itself (keras/engine/training.py
// :691-692 passes self.outputs to the loss; keras/losses.py:699-708 to K.binary_crossentropy),
// and its TF backend hands that to tf.keras.backend.binary_crossentropy
// (keras/backend/tensorflow_backend.py:3412-3426). In TF 1.15.0 and 2.0.0 that function
// (tensorflow/python/keras/backend.py:4455-4484 at v1.15.0, :4559-4588 at v2.0.0) checks only
// `output.op.type != 'Sigmoid'` (and eager tensors / variables); there is no `_keras_history`
// test in those releases (it came with later ones). Keras 2.3.1 builds a graph, and a sigmoid
// activation is `tf.nn.sigmoid` (keras/activations.py:145-154, tensorflow_backend.py:3429-3440),
// applied last in Dense.call (keras/layers/core.py:908-913). So when the model's last layer
// ends in a sigmoid, TF takes the Sigmoid op's input (the logits z) and returns
// sigmoid_cross_entropy_with_logits: no clip, and a saturated output still has the gradient
// sigmoid(z) - y. Any other last op (Identity from Activation('linear'), a Dropout, a Flatten)
// takes the clipped probability branch. The metric still sees the probabilities.
import { noGrad } from '../autograd/tape.js';
import { sigmoid } from '../ops/elementwise.js';
import { binaryCrossentropy } from '../ops/losses.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Layer } from './layer.js';
import { binaryAccuracy } from './metrics.js';

/** The layer producing a model's output: the last layer, looked for inside nested models. */
function outputLayer(l: Layer): Layer {
  const inner = 'layers' in l ? (l.layers as Layer[]) : [];
  return inner.length ? outputLayer(inner[inner.length - 1]) : l;
}

/** True when the model's output op is a sigmoid (Dense, Conv2D or Activation with 'sigmoid'). */
export function endsInSigmoid(model: Layer): boolean {
  const last = outputLayer(model);
  return 'activation' in last && last.activation === 'sigmoid';
}

/** The batch's [loss, accuracy] as Keras 2.3.1 on TF 1.15 / 2.0 computes them for this model. */
export function lossAndAccuracy(model: Layer, x: Tensor, y: Tensor, training: boolean): [Tensor, Tensor] {
  if (!endsInSigmoid(model)) {
    const p = model.apply(x, { training });
    return [binaryCrossentropy(y, p), binaryAccuracy(y, p)];
  }
  const z = model.apply(x, { training, logits: true });
  const loss = binaryCrossentropy(y, z, { fromLogits: true });
  const acc = noGrad(() => binaryAccuracy(y, sigmoid(z)));
  return [loss, acc];
}
