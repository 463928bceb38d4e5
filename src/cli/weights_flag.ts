// `--weights imagenet`, as Keras's VGG16(weights='imagenet'): the conv base's file from Keras's
// cache or weights/, downloaded into Keras's cache when in neither.
import { getImagenetWeights } from '../io/imagenet_weights.js';

export const IMAGENET = 'imagenet';

/** The fix named by every "weights not found" message. */
export const WEIGHTS_FIX = "run 'dawnflow fetch weights' or pass --weights imagenet";

export function imagenetWeights(): Promise<string> {
  return getImagenetWeights({ includeTop: false, log: (line) => console.log(line) });
}
