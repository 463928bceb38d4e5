// The fast max-pool kernels: non-overlapping windows (stride = pool size, no padding), the case
// of every Keras MaxPooling2D with default strides on 'valid' padding (VGG16's 2x2 pools).
// pool.ts picks them when the geometry allows and keeps its general kernels for the rest.
// Why they are faster on lavapipe: the shape is pipeline constants (divides by constants, an
// unrolled window), channels go 4 to a vector when C allows, the winner is kept as its place in
// the window (a float, so it can be read from a texture), the forward skips it when no gradient
// will be asked for, and operands can be fed as textures (docs/lavapipe.md: a textureLoad is
// about five times cheaper per float than a storage-buffer load).
import { grid1d, type Access, type KernelSpec } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import type { PoolGeometry } from './pool_geometry.js';

/** One launch of a windowed kernel: the geometry alone (each kernel counts its invocations). */
export interface WindowParams {
  g: PoolGeometry;
}

/** How a windowed forward reads x: vectors of 4 channels or 1, from a buffer or a texture. */
export interface WindowVariant {
  vec: 1 | 4;
  tex: boolean;
}

const WG = 256;

/**
 * True when g's windows tile x without overlap or padding (a trailing odd row/column is left out)
 * and a window's places fit a byte (the packed codes).
 */
export function windowed(g: PoolGeometry): boolean {
  return (
    g.KH * g.KW <= 256 &&
    g.SH === g.KH &&
    g.SW === g.KW &&
    g.PT === 0 &&
    g.PL === 0 &&
    g.OH * g.KH <= g.H &&
    g.OW * g.KW <= g.W
  );
}

/**
 * The shape as pipeline constants. The interface test asks with no geometry: it gets 1s, which
 * name the same constants.
 */
function shapeConstants(p: Partial<WindowParams>, vec: number): Record<string, number> {
  const g = p.g ?? { C: vec, H: 1, W: 1, OH: 1, OW: 1, KH: 1, KW: 1 };
  return { CV: g.C / vec, H: g.H, W: g.W, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW };
}

const typeOf = (vec: number) => (vec === 4 ? 'vec4f' : 'f32');

function windowKernel(
  name: string,
  vec: number,
  bindings: Access[],
  invocations: (g: PoolGeometry) => number,
  defines: Record<string, string> = {},
): KernelSpec<WindowParams> {
  return {
    name,
    shader: name.replace(/_(vec4|f32)(_tex)?(_nograd)?$/, ''),
    bindings,
    uniforms: [['n', 'u32']],
    workgroup: [WG, 1, 1],
    defines: () => ({
      T: typeOf(vec),
      U: vec === 4 ? 'vec4u' : 'u32',
      UNPACK: vec === 4 ? 'unpackCode' : '',
      ...defines,
    }),
    constants: (p) => shapeConstants(p, vec),
    values: (p) => ({ n: invocations(p.g) }),
    dispatch: (p) => grid1d(invocations(p.g), WG),
    flops: (p) => p.g.batch * p.g.OH * p.g.OW * p.g.C * (p.g.KH * p.g.KW - 1),
  };
}

/** The forward, one invocation per vector of y: y (and, with `code`, the winners' packed places) from x. */
function windowForwardKernel(v: WindowVariant, code: boolean): KernelSpec<WindowParams> {
  const T = typeOf(v.vec);
  const name = `maxpool2d_win_forward_${v.vec === 4 ? 'vec4' : 'f32'}${v.tex ? '_tex' : ''}${code ? '' : '_nograd'}`;
  const outputs: Access[] = code ? ['read_write', 'read_write'] : ['read_write'];
  const spec = windowKernel(
    name,
    v.vec,
    [v.tex ? 'texture' : 'read', ...outputs],
    (g) => (g.batch * g.OH * g.OW * g.C) / v.vec,
    {
      TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2),
      X_VAR: v.tex ? 'var x: texture_2d<f32>' : `var<storage, read> x: array<${T}>`,
      X_AT: v.tex ? 'texel(x, j)' : 'x[j]',
      CODE_VAR: code ? '@group(0) @binding(2) var<storage, read_write> code: array<u32>;' : '',
      CODE_STORE: code ? `code[i] = ${v.vec === 4 ? 'packCode(at)' : 'at'};` : '',
      U_BINDING: code ? '3' : '2',
    },
  );
  // The staged x, in floats (the vec4 path only: a texel holds 4 channels).
  if (v.tex) spec.textureFloats = (p) => [p.g.batch * p.g.H * p.g.W * p.g.C];
  return spec;
}

/** The backward, one invocation per vector of a window (partial windows included): dx from dy and the codes. */
function windowBackwardKernel(vec: 1 | 4): KernelSpec<WindowParams> {
  const windows = (g: PoolGeometry) => g.batch * Math.ceil(g.H / g.KH) * Math.ceil(g.W / g.KW);
  return windowKernel(
    `maxpool2d_win_backward_${vec === 4 ? 'vec4' : 'f32'}`,
    vec,
    ['read', 'read', 'read_write'],
    (g) => (windows(g) * g.C) / vec,
  );
}

const VARIANTS: WindowVariant[] = [
  { vec: 1, tex: false },
  { vec: 4, tex: false },
  { vec: 4, tex: true },
];
const key = (v: WindowVariant) => `${v.vec}${v.tex ? 't' : 'b'}`;
const FORWARD = new Map(VARIANTS.map((v) => [key(v), windowForwardKernel(v, true)]));
const FORWARD_NOGRAD = new Map(VARIANTS.map((v) => [key(v), windowForwardKernel(v, false)]));
const BACKWARD = new Map(([1, 4] as const).map((vec) => [vec, windowBackwardKernel(vec)]));

/** Every variant's spec, made once: the record pool.ts launches from (and the interface test checks). */
export const WINDOW_KERNELS = {
  ...Object.fromEntries(
    [...FORWARD.values(), ...FORWARD_NOGRAD.values(), ...BACKWARD.values()].map((k) => [k.name, k]),
  ),
  /** The forward of variant v, writing the winners' places when `argmax`. */
  forward: (v: WindowVariant, argmax: boolean) => (argmax ? FORWARD : FORWARD_NOGRAD).get(key(v))!,
  /** The backward: it reads dy and the codes from buffers (textures measured slower). */
  backward: (vec: 1 | 4) => BACKWARD.get(vec)!,
};
