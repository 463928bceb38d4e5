// A self-test of the sg share on the adapter's own subgroups, run once when the engine opens
// (plan_context.ts). The sg and Winograd kernels trust the driver's subgroup shuffles of fetched
// texels; lavapipe at LP_NATIVE_VECTOR_WIDTH=512 (16 lanes, Mesa 25.0.7) returns wrong sums there
// while its texel fetches and plain shuffles are right, so only the kernels' own pattern catches
// it: shaders/sg_probe.wgsl runs sgAccumulate on texels, and its sums are compared with the host's.
// Inputs are small multiples of 1/4, so every product and sum is exact in f32 and any difference
// is a fault, not rounding.
import { dispatcher } from '../gpu/engine.js';
import type { KernelSpec } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import { Tensor } from '../tensor/tensor.js';
import { perShare, type SgShare, SG_WORKGROUP, sgDefines, sgWorkgroup, shareName } from './sg_lanes.js';

const LANES = SG_WORKGROUP;

// Exported for the interface checks (test/unit/kernel_interfaces.test.ts).
export const probeKernels = perShare(probeKernel);

function probeKernel(share: SgShare): KernelSpec<null> {
  return {
    name: 'sg_probe',
    shader: 'sg_probe',
    bindings: ['texture', 'texture', 'read_write'],
    uniforms: [],
    workgroup: sgWorkgroup(share),
    defines: () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2), ...sgDefines(share) }),
    values: () => ({}),
    dispatch: () => [1, 1, 1],
    textureFloats: () => [LANES * 4, LANES * 16],
  };
}

/** Exact small values: (i * 7 mod 13 - 6) / 4. */
function values(n: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((((i + salt) * 7) % 13) - 6) / 4);
}

/** What the probe must write: lane i's accumulator l is lane (group's first + l)'s a . lane i's b. */
export function probeExpected(lanes: number, a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(LANES * lanes * 4);
  for (let i = 0; i < LANES; i++) {
    for (let l = 0; l < lanes; l++) {
      const src = Math.floor(i / lanes) * lanes + l;
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += a[src * 4 + k] * b[(i * 4 + k) * 4 + j];
        out[(i * lanes + l) * 4 + j] = s;
      }
    }
  }
  return out;
}

/**
 * Runs the probe on `share` (the adapter's own, via subgroups): null where every lane's sums are
 * right, else what went wrong, for the planner's warning.
 */
export async function probeShare(share: SgShare): Promise<string | null> {
  const a = values(LANES * 4, 1);
  const b = values(LANES * 16, 5);
  const ta = Tensor.fromArray(a, [LANES * 4]);
  const tb = Tensor.fromArray(b, [LANES * 16]);
  const y = Tensor.empty([LANES * share.lanes * 4], 'float32', 'sg_probe');
  try {
    dispatcher().launch(probeKernels.of(share), null, [ta.buffer, tb.buffer, y.buffer]);
    // A driver that cannot compile or run the probe has failed it too (the engine still opens).
    const got = await y.data().then(
      (d) => new Float32Array(d),
      (e: Error) => e,
    );
    if (got instanceof Error) return `the probe kernel failed: ${got.message.split('\n')[0]}`;
    const want = probeExpected(share.lanes, a, b);
    const bad = want.reduce((n, w, i) => n + (got[i] === w ? 0 : 1), 0);
    if (bad === 0) return null;
    const first = want.findIndex((w, i) => got[i] !== w);
    return `${bad} of ${want.length} sums wrong on the ${shareName(share)} share (first: ${got[first]} for ${want[first]})`;
  } finally {
    for (const t of [ta, tb, y]) t.dispose();
  }
}
