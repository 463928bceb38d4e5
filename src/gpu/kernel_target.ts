// Which kind of adapter the engine chooses its kernels for: its own kind, or the one
// DAWNFLOW_PLAN_AS names. The kind decides the planner's defaults (software adapters: the
// texture-fed sg and Winograd kernels, patch products, split-K for a few cores; GPUs: the GEMM
// core, split-K for thousands of lanes; src/kernels/plan.ts) and how texture operands are read
// (texel_access.ts). Naming `gpu` runs a GPU's whole kernel plan on lavapipe, so that the path
// every GPU takes is trained and checked here before a GPU ever runs it (docs/gpus.md). It is
// read once, when the device opens, so the planner and the texel policy cannot disagree.
import { setting } from '../util/settings.js';

export type KernelTarget = 'software' | 'gpu';

/** The kind the kernels are chosen for on an adapter that is (or is not) a software one. */
export function kernelTargetFor(adapterIsSoftware: boolean): KernelTarget {
  const forced = setting('DAWNFLOW_PLAN_AS') as KernelTarget | null;
  return forced ?? (adapterIsSoftware ? 'software' : 'gpu');
}

/**
 * The note a report carries where the kernels were chosen for the other kind of adapter (its
 * timings are then not this adapter's own plan's), else null.
 */
export function kernelTargetNote(target: KernelTarget, adapterIsSoftware: boolean): string | null {
  if (target === (adapterIsSoftware ? 'software' : 'gpu')) return null;
  return target === 'gpu'
    ? "kernels chosen as for a GPU (DAWNFLOW_PLAN_AS=gpu) on a software adapter: correct, but slower than this adapter's own plan"
    : "kernels chosen as for a software adapter (DAWNFLOW_PLAN_AS=software) on a GPU: not this GPU's own plan";
}
