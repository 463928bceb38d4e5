// The image size a saved model takes, read from its model_config before the GPU starts: the
// commands on saved models (evaluate, predict, fine-tune) need no --target-size, and one that
// disagrees with the model is refused at once instead of failing after the model is loaded.
import { readKerasH5Shared } from '../io/h5_read.js';
import { UsageError } from './args.js';

/** The first batch_input_shape of a Keras config, depth first: the input of a nested base too. */
function firstInputShape(config: unknown): unknown[] | null {
  if (Array.isArray(config)) {
    for (const v of config) {
      const found = firstInputShape(v);
      if (found) return found;
    }
    return null;
  }
  if (config === null || typeof config !== 'object') return null;
  const o = config as Record<string, unknown>;
  if (Array.isArray(o.batch_input_shape)) return o.batch_input_shape;
  return firstInputShape(Object.values(o));
}

/** [h, w] of a model file taking (N, h, w, 3) images, or a UsageError naming the file. */
export function modelImageSize(path: string, flag: string): [number, number] {
  const file = readKerasH5Shared(path);
  if (!file.modelConfig) throw new UsageError(`${flag} ${path}: weights only (no model_config); give a saved model`);
  const s = firstInputShape(file.modelConfig);
  if (s?.length !== 4 || typeof s[1] !== 'number' || typeof s[2] !== 'number')
    throw new UsageError(`${flag} ${path}: the model does not take images (N, h, w, 3)`);
  return [s[1], s[2]];
}

/** The model's size; a --target-size given as well must be the same. */
export function sizeFromModel(path: string, flag: string, given: number | undefined): [number, number] {
  const [h, w] = modelImageSize(path, flag);
  if (given !== undefined && (given !== h || given !== w))
    throw new UsageError(
      `--target-size ${given} disagrees with ${path}, which takes ${h}x${w} images; leave --target-size out`,
    );
  return [h, w];
}
