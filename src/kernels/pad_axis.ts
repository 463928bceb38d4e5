// Zero-padding (or cropping) of one axis, no gradient: gives an RGB input layer 4 or 8
// channels so its convolution and gradients can take the texture-fed kernels (a texel holds 4
// channels, the weight gradient's row blocks 8), and crops the padded channels off the results.
// Shape rule: x viewed as [A, B, C] becomes [A, B2, C]. Kernel: shaders/pad_axis.wgsl.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 256;

interface PadParams {
  n: number;
  B: number;
  B2: number;
  C: number;
  ones: number;
}

export const padAxisKernel: KernelSpec<PadParams> = {
  name: 'pad_axis',
  shader: 'pad_axis',
  bindings: ['read', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['B', 'u32'],
    ['B2', 'u32'],
    ['C', 'u32'],
    ['ones', 'u32'],
  ],
  workgroup: [WG, 1, 1],
  values: (p) => ({ ...p }),
  dispatch: (p) => grid1d(p.n, WG),
};

/**
 * x with axis `axis` zero-padded at its end, or cropped, to `size` entries; with `ones`, the
 * padded entry at that index is 1 instead.
 */
export function padAxisRaw(x: Tensor, axis: number, size: number, ones = size): Tensor {
  const B = x.shape[axis];
  if (!(Number.isInteger(size) && size >= 1))
    throw new Error(`dawnflow: pad axis ${axis} of [${x.shape}] to ${size} entries`);
  const A = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const C = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = x.shape.slice();
  shape[axis] = size;
  const y = Tensor.empty(shape, 'float32', 'pad_axis');
  dispatcher().launch(padAxisKernel, { n: A * size * C, B, B2: size, C, ones }, [x.buffer, y.buffer]);
  return y;
}
