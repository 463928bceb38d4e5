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

/** One launch of a windowed kernel: the geometry and n, its invocations (vectors of y or of x). */
export interface WindowParams {
  g: PoolGeometry;
  n: number;
}

/** How a windowed kernel reads and writes: vectors of 4 channels or 1, operands from buffers or textures. */
export interface WindowVariant {
  vec: 1 | 4;
  tex: boolean;
}

const WG = 256;

/** True when g's windows tile x without overlap or padding (a trailing odd row/column is left out). */
export function windowed(g: PoolGeometry): boolean {
  return g.SH === g.KH && g.SW === g.KW && g.PT === 0 && g.PL === 0 && g.OH * g.KH <= g.H && g.OW * g.KW <= g.W;
}

/**
 * The shape as pipeline constants. The interface test asks with no geometry: it gets 1s, which
 * name the same constants.
 */
function shapeConstants(p: Partial<WindowParams>, vec: number): Record<string, number> {
  const g = p.g ?? { C: vec, H: 1, W: 1, OH: 1, OW: 1, KH: 1, KW: 1 };
  return { CV: g.C / vec, H: g.H, W: g.W, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW };
}

/** A `var` of binding `name` and the expression that reads its vector j. */
function operand(name: string, v: WindowVariant): { decl: string; at: string } {
  const T = v.vec === 4 ? 'vec4f' : 'f32';
  if (v.tex) return { decl: `var ${name}: texture_2d<f32>`, at: `texel(${name}, j)` };
  return { decl: `var<storage, read> ${name}: array<${T}>`, at: `${name}[j]` };
}

function windowKernel(name: string, v: WindowVariant, bindings: Access[], defines: Record<string, string>) {
  const spec: KernelSpec<WindowParams> = {
    name,
    shader: name.replace(/_(vec4|f32)(_tex)?(_nograd)?$/, ''),
    bindings,
    uniforms: [['n', 'u32']],
    workgroup: [WG, 1, 1],
    defines: () => ({ T: v.vec === 4 ? 'vec4f' : 'f32', TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2), ...defines }),
    constants: (p) => shapeConstants(p, v.vec),
    values: (p) => ({ n: p.n }),
    dispatch: (p) => grid1d(p.n, WG),
    flops: (p) => p.n * v.vec * p.g.KH * p.g.KW,
  };
  return spec;
}

/** The forward: y (and, with `code`, each winner's place in its window) from x. */
function windowForwardKernel(v: WindowVariant, code: boolean): KernelSpec<WindowParams> {
  const x = operand('x', v);
  const T = v.vec === 4 ? 'vec4f' : 'f32';
  const name = `maxpool2d_win_forward_${v.vec === 4 ? 'vec4' : 'f32'}${v.tex ? '_tex' : ''}${code ? '' : '_nograd'}`;
  const spec = windowKernel(
    name,
    v,
    [v.tex ? 'texture' : 'read', 'read_write', ...(code ? ['read_write' as const] : [])],
    {
      X_VAR: x.decl,
      X_AT: x.at,
      CODE_VAR: code ? `@group(0) @binding(2) var<storage, read_write> code: array<${T}>;` : '',
      CODE_STORE: code ? 'code[i] = at;' : '',
      U_BINDING: code ? '3' : '2',
    },
  );
  // The staged x, in floats (the vec4 path only: a texel holds 4 channels).
  if (v.tex) spec.textureFloats = (p) => [p.g.batch * p.g.H * p.g.W * p.g.C];
  return spec;
}

/** The backward: dx from dy and the forward's codes, one invocation per vector of x. */
function windowBackwardKernel(v: WindowVariant): KernelSpec<WindowParams> {
  const dy = operand('dy', v);
  const code = operand('code', v);
  const name = `maxpool2d_win_backward_${v.vec === 4 ? 'vec4' : 'f32'}${v.tex ? '_tex' : ''}`;
  const a: Access = v.tex ? 'texture' : 'read';
  const spec = windowKernel(name, v, [a, a, 'read_write'], {
    DY_VAR: dy.decl,
    DY_AT: dy.at,
    CODE_VAR: code.decl,
    CODE_AT: code.at,
  });
  if (v.tex) {
    spec.textureFloats = (p) => {
      const out = p.g.batch * p.g.OH * p.g.OW * p.g.C;
      return [out, out];
    };
  }
  return spec;
}

const VARIANTS: WindowVariant[] = [
  { vec: 1, tex: false },
  { vec: 4, tex: false },
  { vec: 4, tex: true },
];
const key = (v: WindowVariant) => `${v.vec}${v.tex ? 't' : 'b'}`;
const FORWARD = new Map(VARIANTS.map((v) => [key(v), windowForwardKernel(v, true)]));
const FORWARD_NOGRAD = new Map(VARIANTS.map((v) => [key(v), windowForwardKernel(v, false)]));
const BACKWARD = new Map(VARIANTS.map((v) => [key(v), windowBackwardKernel(v)]));

/** Every variant's spec, made once: the record pool.ts launches from (and the interface test checks). */
export const WINDOW_KERNELS = {
  ...Object.fromEntries(
    [...FORWARD.values(), ...FORWARD_NOGRAD.values(), ...BACKWARD.values()].map((k) => [k.name, k]),
  ),
  /** The forward of variant v, writing the winners' places when `argmax`. */
  forward: (v: WindowVariant, argmax: boolean) => (argmax ? FORWARD : FORWARD_NOGRAD).get(key(v))!,
  backward: (v: WindowVariant) => BACKWARD.get(key(v))!,
};
