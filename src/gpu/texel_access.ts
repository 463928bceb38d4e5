// How kernels read their 'texture' operands (program.ts), one policy per device.
//   sampled: texture_2d<f32> and textureLoad(t, c, 0): the format every WebGPU device has, and
//            on GPUs the read-only path with the texture cache.
//   storage: texture_storage_2d<rgba32float, read> and textureLoad(t, c), a read-only storage
//            texture (WGSL's readonly_and_readwrite_storage_textures).
// On lavapipe a sampled textureLoad is a call into a generic texel-fetch routine that works out
// each lane's mip level (level 0 for every lane, yet the level is a lane vector): a shift, a
// clamp and two table loads per lane before the eight texel loads. A storage texture has one
// level, so its load is the address arithmetic and the loads. Measured on the AMD EPYC host
// (Mesa 25.0.7), a loop of loads went from 520-580 to 730-930 million texels/s. Software
// adapters therefore read through storage textures where the language feature is present;
// GPUs keep sampled textures. DAWNFLOW_TEXEL forces either (storage only where supported).
import { setting } from '../util/settings.js';
import type { Defines } from './shader_source.js';

export type TexelAccess = 'sampled' | 'storage';

export const STORAGE_TEXEL_FEATURE = 'readonly_and_readwrite_storage_textures';

export interface TexelFacts {
  software: boolean;
  wgslFeatures: readonly string[];
}

export interface TexelPolicy {
  access: TexelAccess;
  /**
   * Whether staging textures are made with STORAGE_BINDING, so either access can be switched
   * to (Dispatcher.setTexelAccess, for tests): where storage is the default or forced. Not on
   * GPUs otherwise, where the usage could cost the texture its compressed layout.
   */
  storageCapable: boolean;
}

/** The device's texel access: the setting where given, else storage on software adapters. */
export function texelPolicyFor(f: TexelFacts): TexelPolicy {
  const can = f.wgslFeatures.includes(STORAGE_TEXEL_FEATURE);
  const forced = setting('DAWNFLOW_TEXEL') as TexelAccess | null;
  if (forced === 'storage' && !can) {
    throw new Error(
      `dawnflow: DAWNFLOW_TEXEL=storage needs WGSL's ${STORAGE_TEXEL_FEATURE}, which this Dawn lacks; unset it`,
    );
  }
  const access = forced ?? (f.software && can ? 'storage' : 'sampled');
  return { access, storageCapable: can && (f.software || access === 'storage') };
}

/**
 * The {{TEX_OPERAND}} type and {{TEX_LEVEL}} argument of shaders/tex_operand.wgsl. Storage
 * textures name their format in the type, so a launch with an rgba16float operand (opt-in f16
 * staging) reads all its operands as sampled textures.
 */
export function texelDefines(access: TexelAccess): Record<string, string> {
  return access === 'storage'
    ? { TEX_OPERAND: 'texture_storage_2d<rgba32float, read>', TEX_LEVEL: '' }
    : { TEX_OPERAND: 'texture_2d<f32>', TEX_LEVEL: ', 0' };
}

/**
 * The defines a launch compiles with: its kernel's own, plus texelDefines(access) where it reads
 * texture operands (`access` null where it has none). The dispatcher and the profiler's
 * specialisation hash both take them from here.
 */
export function launchDefines(own: Defines, access: TexelAccess | null): Defines {
  return access ? { ...own, ...texelDefines(access) } : own;
}

/** The bind-group layout entry of a 'texture' operand read with `access`. */
export function texelLayout(binding: number, access: TexelAccess): GPUBindGroupLayoutEntry {
  const visibility = GPUShaderStage.COMPUTE;
  // 'unfilterable-float' accepts rgba32float and (opt-in f16 staging) rgba16float views alike.
  return access === 'storage'
    ? { binding, visibility, storageTexture: { access: 'read-only', format: 'rgba32float' } }
    : { binding, visibility, texture: { sampleType: 'unfilterable-float' } };
}
