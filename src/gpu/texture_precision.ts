// Half-precision staging of the texture-fed kernels' operands (issue 7: "f16 storage with f32
// accumulation"). Where a launch's plan says f16 (KernelSpec.staging; the kernel planner,
// src/kernels/plan.ts, asks for it with DAWNFLOW_F16=1 or setTexturePrecision('f16') where the
// device can), every 'texture' binding (src/gpu/program.ts) is staged into an rgba16float texture
// instead of rgba32float: half the staging memory and half the bytes each texel fetch moves. All
// arithmetic stays f32: a textureLoad of an rgba16float texture returns vec4<f32>, so the conv,
// Winograd and dense kernels are unchanged; only their operands are rounded to the nearest f16
// (11 significant bits, relative error up to 2^-11 ~ 4.9e-4 per value, unbiased; magnitudes past
// 65504 become infinite or 65504). Accumulators, outputs and every storage buffer stay f32.
//
// copyBufferToTexture cannot convert f32 to f16, so the dispatcher stages such operands with
// stageF16Kernel below (shaders/stage_f16.wgsl), which writes the texture as a write-only storage
// texture. That needs only core WebGPU (rgba16float is a core storage-texture format): the
// 'shader-f16' feature is NOT needed, as no WGSL f16 type or arithmetic is involved. The planner
// asks for it only on devices with 'core-features-and-limits' (Dispatcher.halfStorage; not
// compatibility mode), and the dispatcher keeps f32 staging for any operand larger than one
// storage binding.
//
// Not a default anywhere: see the README ('How it works') for the measured error and speed.
import { grid1d, type KernelSpec } from './program.js';
import { TEXTURE_WIDTH_LOG2 } from './texture_pool.js';

export type { TexturePrecision } from './program.js';

export interface StageParams {
  /** Texels (4 floats each) to stage from the start of the source buffer. */
  texels: number;
}

const WG = 256;

/** f32 buffer -> rgba16float texture (texture_pool.ts layout); only the dispatcher launches it. */
export const stageF16Kernel: KernelSpec<StageParams> = {
  name: 'stage_f16',
  shader: 'stage_f16',
  bindings: ['read', 'storage_texture_rgba16f'],
  uniforms: [['texels', 'u32']],
  workgroup: [WG, 1, 1],
  defines: () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2) }),
  values: (p) => ({ texels: p.texels }),
  dispatch: (p) => grid1d(p.texels, WG),
};
