// Keras-layout HDF5 fixtures generated on the spot, so that tests need no downloaded weights.
import type { H5Layer } from '../../src/io/h5_read.js';
import { writeKerasH5 } from '../../src/io/h5_write.js';
import { vgg16Convs } from '../../src/ops/vgg16_convs.js';
import { mulberry32 } from './random.js';

/** Output channels of VGG16's 13 conv layers, block1_conv1 first (the real network). */
export const VGG16_WIDTHS = vgg16Convs().map((c) => c.co);

/** Small widths with the same structure, so a notop-layout file is a few tens of kilobytes. */
export const SMALL_VGG16_WIDTHS = [4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];

/** Layer names of the notop file in order: block1_conv1, block1_conv2, block1_pool, ... */
export function vgg16NotopNames(): string[] {
  return vgg16Convs().flatMap((c) => (c.last ? [c.name, `block${c.block}_pool`] : [c.name]));
}

/**
 * The layers of `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` (keras-semantics.md 1.2)
 * with the given conv widths: conv groups hold `<layer>_W_1:0` (3,3,cin,cout) then
 * `<layer>_b_1:0` (cout,), pools hold nothing. Values are uniform in [-0.5, 0.5) from `seed`.
 */
export function vgg16NotopLayers(seed: number, widths: number[] = SMALL_VGG16_WIDTHS): H5Layer[] {
  if (widths.length !== 13) {
    throw new Error(`vgg16NotopLayers: 13 widths needed, got ${widths.length}`);
  }
  const rnd = mulberry32(seed);
  const values = (n: number) => Float32Array.from({ length: n }, () => rnd() - 0.5);
  let cin = 3;
  let conv = 0;
  return vgg16NotopNames().map((name) => {
    if (name.endsWith('_pool')) return { name, weights: [] };
    const cout = widths[conv++];
    const shape = [3, 3, cin, cout];
    const kernel = { name: `${name}_W_1:0`, shape, data: values(9 * cin * cout) };
    const bias = { name: `${name}_b_1:0`, shape: [cout], data: values(cout) };
    cin = cout;
    return { name, weights: [kernel, bias] };
  });
}

/** Writes the legacy (Keras 1, root `layer_names` only) notop layout; returns what it wrote. */
export async function writeLegacyVgg16Notop(
  path: string,
  seed: number,
  widths: number[] = SMALL_VGG16_WIDTHS,
): Promise<H5Layer[]> {
  const layers = vgg16NotopLayers(seed, widths);
  await writeKerasH5(path, layers, { legacyLayout: true });
  return layers;
}
