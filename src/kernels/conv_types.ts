// The types shared by the conv kernels, the kernel planner that picks among them (plan.ts) and
// the autotuner's cache (tuning.ts).
import { u32Uniforms } from '../gpu/program.js';
import type { WindowGeometry } from './window_geometry.js';

/** Geometry of one convolution: x [batch,H,W,CI], w [KH,KW,CI,CO], y [batch,OH,OW,CO]. */
export interface ConvGeometry extends WindowGeometry {
  CI: number;
  CO: number;
}

/** The geometry as the conv shaders' uniform structs declare it, after any kernel's own fields. */
const FIELDS: (keyof ConvGeometry)[] = ['batch', 'H', 'W', 'CI', 'OH', 'OW', 'CO', 'KH', 'KW', 'SH', 'SW', 'PT', 'PL'];
export const CONV_GEOMETRY_UNIFORMS = u32Uniforms(FIELDS);

/**
 * gemm: the GEMM-core kernels; tex: texture-fed; sg: texture-fed with subgroup sharing; wino and
 * wino4: Winograd F(2x2, 3x3) and F(4x4, 3x3) on sg's scheme (winograd.ts; 3x3 stride-1 forward
 * and input gradient).
 */
export type ConvVariant = 'gemm' | 'tex' | 'sg' | 'wino' | 'wino4';

export type ConvOp = 'forward' | 'backward_input' | 'backward_weight';
