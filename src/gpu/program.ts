// The one descriptor every kernel is declared with (after tfjs's WebGPUProgram and webgpu-torch's
// KernelSpec). Ops build a KernelSpec once at module load; only the dispatcher turns it into
// pipelines and bind groups.
import type { Defines } from './shader_source.js';

/**
 * Bindings in order; the uniform block (if any) follows at the next binding. 'texture' is a
 * read-only operand the dispatcher copies from its buffer into an rgba32float texture before the
 * launch (see texture_pool.ts): the kernel reads it with textureLoad (an rgba16float texture
 * where the launch's `staging` says f16: src/gpu/texture_precision.ts). 'storage_texture_rgba16f' is a
 * `texture_storage_2d<rgba16float, write>`: only the dispatcher's own staging kernel
 * (shaders/stage_f16.wgsl) declares one, and launch() does not accept it.
 */
export type Access = 'read' | 'read_write' | 'texture' | 'storage_texture_rgba16f';
export type UniformType = 'u32' | 'i32' | 'f32' | 'vec4u' | 'vec4i';
export type Grid = [number, number, number];
/** How a 'texture' operand is staged: rgba32float, or rgba16float (texture_precision.ts). */
export type TexturePrecision = 'f32' | 'f16';

/** Pipeline-overridable constants (WGSL `override`): part of the pipeline cache key. */
export type Constants = Record<string, number | boolean>;

/** u32 uniform fields, named in the order the shader's struct declares them. */
export function u32Uniforms(names: readonly string[]): readonly (readonly [string, 'u32'])[] {
  return names.map((name) => [name, 'u32'] as const);
}

export interface KernelSpec<P> {
  /** Unique kernel name: used in labels, error messages and profiles. */
  name: string;
  /** Stem of the file in shaders/ ("conv2d_forward" -> shaders/conv2d_forward.wgsl). */
  shader: string;
  entry?: string;
  bindings: readonly Access[];
  /** Uniform block fields in WGSL declaration order; must mirror the shader's struct. */
  uniforms: readonly (readonly [string, UniformType])[];
  /** Workgroup size; handed to the shader as override constants WG_X, WG_Y, WG_Z. */
  workgroup: readonly [number, number, number];
  /** Text substitutions ({{KEY}}) for structural variants. */
  defines?: (p: P) => Defines;
  /** Override constants for cheap specialisation (flags, op codes). */
  constants?: (p: P) => Constants;
  /** The uniform values for one launch. vec4 fields take number[] of length <= 4. */
  values: (p: P) => Record<string, number | readonly number[]>;
  /** Workgroup counts for one launch. */
  dispatch: (p: P) => Grid;
  /** Floats of each 'texture' binding, in binding order (a multiple of 4 each). */
  textureFloats?: (p: P) => readonly number[];
  /** Precision the 'texture' operands are staged in (the kernel planner's choice); f32 if absent. */
  staging?: (p: P) => TexturePrecision;
  /** Floating-point work of one launch (profiles and benches). */
  flops?: (p: P) => number;
  /**
   * [binding, bytes] of the outputs the dispatcher zeroes before the launch, for a kernel that
   * stores into only some of them (on lavapipe the clear is a memset, cheaper than the stores).
   */
  cleared?: (p: P) => readonly (readonly [number, number])[];
}

/** A 1-D problem of n invocations in workgroups of `wg`, folded into x/y past the 65535 limit. */
export function grid1d(n: number, wg: number, maxPerDim = 65535): Grid {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
