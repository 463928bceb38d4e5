// The fast max-pool kernels: non-overlapping windows (stride = pool size, no padding), the case
// of every Keras MaxPooling2D with default strides on 'valid' padding (VGG16's 2x2 pools).
// pool.ts picks them when the geometry allows and keeps its general kernels for the rest.
// Why they are faster on lavapipe: the shape is pipeline constants (divides by constants, an
// unrolled window), channels go 4 to a vector when C allows, an invocation takes a run of two
// vectors when it can, the winners are kept as their
// places in the window packed a byte per channel, the forward skips them when no gradient will
// be asked for, and the backward runs one invocation per window, storing only at the winners of
// a dx the dispatcher has cleared (a memset on lavapipe; stores are its dearest access). Operands stay in buffers:
// staged as textures (cheaper loads, docs/lavapipe.md) both passes measured slower, because the
// staging copy is one more full pass over the operand, and pooling does little else.
import { grid1d, type Access, type KernelSpec } from '../gpu/program.js';
import type { PoolGeometry } from './pool_geometry.js';

/** One launch of a windowed kernel: the geometry alone (each kernel counts its invocations). */
export interface WindowParams {
  g: PoolGeometry;
  /** Forward with codes: a window whose max is not positive gets NO_WINNER (x a relu output). */
  reluMask?: boolean;
}

/** The code of a window with no winner: the backward routes nothing to it (below 256: a byte). */
export const NO_WINNER = 255;

/** Channels per vector: 4 when C is a multiple of 4, else 1. */
export type WindowVec = 1 | 4;
export const vecOf = (g: PoolGeometry): WindowVec => (g.C % 4 === 0 ? 4 : 1);

const WG = 256;

/**
 * Vectors of channels per invocation: 2 where they pair up. Measured on lavapipe (2 cores, VGG16's
 * pools at batch 4, forward and backward interleaved, min of 5 rounds): about 10-20% faster than
 * one (block1 forward 3.4-4.0 vs 4.5-4.8 ms under load); 4 was no faster than 2, mostly slower.
 */
export const runOf = (g: PoolGeometry): number => ((g.C / vecOf(g)) % 2 === 0 ? 2 : 1);

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
  if (!p.g) return { CV: 1, NV: 1, H: 1, W: 1, OH: 1, OW: 1, KH: 1, KW: 1 };
  const g = p.g;
  return { CV: g.C / vec, NV: runOf(g), H: g.H, W: g.W, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW };
}

/** The forward with codes also takes RELU_MASK (pool.ts sets it for a relu output). */
const maskConstant = (p: Partial<WindowParams>): Record<string, boolean> => ({ RELU_MASK: p.reluMask ?? false });

const typeOf = (vec: number) => (vec === 4 ? 'vec4f' : 'f32');

function windowKernel(
  name: string,
  vec: number,
  bindings: Access[],
  invocations: (g: PoolGeometry) => number,
  defines: Record<string, string> = {},
  masks = false,
): KernelSpec<WindowParams> {
  return {
    name,
    shader: name.replace(/_(vec4|f32)(_nograd)?$/, ''),
    bindings,
    uniforms: [['n', 'u32']],
    workgroup: [WG, 1, 1],
    defines: () => ({
      T: typeOf(vec),
      ...defines,
    }),
    constants: (p) => ({ ...shapeConstants(p, vec), ...(masks ? maskConstant(p) : {}) }),
    values: (p) => ({ n: invocations(p.g) }),
    dispatch: (p) => grid1d(invocations(p.g), WG),
    flops: (p) => p.g.batch * p.g.OH * p.g.OW * p.g.C * (p.g.KH * p.g.KW - 1),
  };
}

/** The forward, one invocation per run of vectors of y: y (and, with `code`, the winners' packed places) from x. */
function windowForwardKernel(vec: WindowVec, code: boolean): KernelSpec<WindowParams> {
  const outputs: Access[] = code ? ['read_write', 'read_write'] : ['read_write'];
  const U = vec === 4 ? 'vec4u' : 'u32';
  return windowKernel(
    `maxpool2d_win_forward_${vec === 4 ? 'vec4' : 'f32'}${code ? '' : '_nograd'}`,
    vec,
    ['read', ...outputs],
    (g) => (g.batch * g.OH * g.OW * g.C) / vec / runOf(g),
    {
      CODE_VAR: code ? '@group(0) @binding(2) var<storage, read_write> code: array<u32>;' : '',
      CODE_STORE: code ? codeStore(vec) : '',
      U_BINDING: code ? '3' : '2',
      // Without codes the winner's place is not tracked at all: left in, the dead selects made
      // the inference forward slower than the one with codes on lavapipe (block1 about 7 vs 5 ms).
      AT_DECL: code ? `var at = ${U}(0u);` : '',
      AT_UPDATE: code ? `at = select(at, ${U}(kh * KW + kw), gt);` : '',
    },
    code,
  );
}

/** The winners' store: NO_WINNER where the max is not positive under RELU_MASK (a constant test that folds). */
function codeStore(vec: WindowVec): string {
  const [U, T, B] = vec === 4 ? ['vec4u', 'vec4f', 'vec4<bool>'] : ['u32', 'f32', 'bool'];
  const at = `select(at, ${U}(${NO_WINNER}u), ${B}(RELU_MASK) & !(best > ${T}(0.0)))`;
  return `code[o] = ${vec === 4 ? `packCode(${at})` : at};`;
}

/**
 * The backward, one invocation per run of vectors of a whole window: dy stored at each
 * channel's winner in a dx the dispatcher clears first (maxpool2d_win_backward.wgsl). Measured
 * on lavapipe (2-core AMD EPYC, AVX2; VGG16's pools at batch 4, interleaved): blocks 2-4 about
 * 30 % faster than writing every cell of the window (block2 1.17 against 1.62 ms), block1 5 %
 * (its 23 MB clear is 1.1 ms of the 2.9).
 */
function windowBackwardKernel(vec: WindowVec): KernelSpec<WindowParams> {
  // No winner (255): the window's first cell gets a 0 (the clear's value; no other window owns it).
  const scatter =
    vec === 4
      ? [
          'let code4 = unpackCode(code[out + j]);',
          'let won = code4 < vec4u(KH * KW);',
          'let at = select(vec4u(0u), code4, won);',
          'let gw = select(vec4f(0.0), g, won);',
          ...['x', 'y', 'z', 'w'].map((c) => `dx[first + j + cellOffset(at.${c})].${c} = gw.${c};`),
        ].join('\n    ')
      : 'let at = code[out + j];\n    let won = at < KH * KW;\n    dx[first + j + cellOffset(select(0u, at, won))] = select(0.0, g, won);';
  const spec = windowKernel(
    `maxpool2d_win_backward_${vec === 4 ? 'vec4' : 'f32'}`,
    vec,
    ['read', 'read', 'read_write'],
    (g) => (g.batch * g.OH * g.OW * g.C) / vec / runOf(g),
    { SCATTER: scatter },
  );
  return { ...spec, cleared: (p) => [[2, p.g.batch * p.g.H * p.g.W * p.g.C * 4]] };
}

const VECS = [1, 4] as const;
const FORWARD = new Map(VECS.map((vec) => [vec, windowForwardKernel(vec, true)]));
const FORWARD_NOGRAD = new Map(VECS.map((vec) => [vec, windowForwardKernel(vec, false)]));
const BACKWARD = new Map(VECS.map((vec) => [vec, windowBackwardKernel(vec)]));

/** Every variant's spec, made once: the record pool.ts launches from (and the interface test checks). */
export const WINDOW_KERNELS = {
  ...Object.fromEntries(
    [...FORWARD.values(), ...FORWARD_NOGRAD.values(), ...BACKWARD.values()].map((k) => [k.name, k]),
  ),
  /** The forward, writing the winners' places when `argmax`. */
  forward: (vec: WindowVec, argmax: boolean) => (argmax ? FORWARD : FORWARD_NOGRAD).get(vec)!,
  backward: (vec: WindowVec) => BACKWARD.get(vec)!,
};
