// Keras's load_img + img_to_array + ImageDataGenerator(rescale=...), for RGB images: read,
// decode, resize to target_size when it differs (NEAREST by default, as keras-preprocessing),
// then float32 NHWC batches.
import fs from 'node:fs';
import { decodeImage } from './decode.js';
import type { RgbImage } from './rgb_image.js';
import { dataError, fsReason } from './errors.js';
import { resizeBilinear, resizeNearest } from './resize.js';

export type Interpolation = 'nearest' | 'bilinear';

export interface LoadImageOptions {
  /** [height, width] as Keras's target_size; the image is stretched (no aspect kept). */
  targetSize?: [number, number];
  /** Keras's default is 'nearest'. */
  interpolation?: Interpolation;
}

export function loadImage(path: string, o: LoadImageOptions = {}): RgbImage {
  const resize = pickResize(o.interpolation ?? 'nearest');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw dataError(path, `cannot read image (${fsReason(e)}); check the path and permissions`, e);
  }
  const img = decodeImage(bytes, path);
  if (!o.targetSize) return img;
  const [height, width] = o.targetSize;
  if (img.width === width && img.height === height) return img;
  return resize(img, width, height);
}

/**
 * Images of one size -> float32 NHWC, each value v * scale in float32 arithmetic: Keras's
 * `x *= rescale` multiplies a float32 array by a Python float that NumPy casts to float32 first.
 * (An 8-bit integer times a float32 is exact in a double, so one rounding gives the same bits.)
 */
export function toFloatBatch(images: RgbImage[], scale = 1 / 255): Float32Array {
  if (images.length === 0) return new Float32Array(0);
  const { width, height } = images[0];
  const per = width * height * 3;
  const out = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw dataError(
        'toFloatBatch',
        `image ${i} is ${img.width}x${img.height} but image 0 is ` +
          `${width}x${height}; resize them to one size (targetSize) first`,
      );
    }
    bytesToFloat(img.data.subarray(0, per), scale, out.subarray(i * per, (i + 1) * per));
  });
  return out;
}

/** uint8 samples -> float32 v * scale, with the same float32 rounding as toFloatBatch. */
export function bytesToFloat(data: Uint8Array, scale = 1 / 255, out = new Float32Array(data.length)): Float32Array {
  const s = Math.fround(scale);
  for (let k = 0; k < data.length; k++) out[k] = data[k] * s;
  return out;
}

function pickResize(kind: string): (img: RgbImage, w: number, h: number) => RgbImage {
  if (kind === 'nearest') return resizeNearest;
  if (kind === 'bilinear') return resizeBilinear;
  throw dataError('loadImage', `interpolation '${kind}' is not supported; use 'nearest' or 'bilinear'`);
}
