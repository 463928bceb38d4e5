// The process-wide engine: one device, one dispatcher (pool, pipeline cache). `init()` once,
// then ops are synchronous (they encode work) and only readbacks are awaited.
import { destroyGpu, getGpu, type DeviceOptions, type Gpu } from './device.js';
import { Dispatcher } from './dispatcher.js';
import { kernelTargetFor, type KernelTarget } from './kernel_target.js';
import { texelPolicyFor } from './texel_access.js';

let state: { gpu: Gpu; dispatcher: Dispatcher; target: KernelTarget } | null = null;

/** A check run on every device the engine opens, before init() returns (the planner's probes). */
export type InitCheck = (gpu: Gpu) => Promise<void>;
const initChecks: InitCheck[] = [];

/**
 * Registers a check for every device opened from now on (and not yet run on an open one). The
 * kernel layer registers its self-tests at module load, so they run before any plan is made.
 */
export function onInit(check: InitCheck): void {
  initChecks.push(check);
}

export async function init(opts: DeviceOptions = {}): Promise<Gpu> {
  if (state) return state.gpu;
  const gpu = await getGpu(opts);
  gpu.device.onuncapturederror = (ev) => {
    console.error(`dawnflow: uncaptured GPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`);
  };
  const target = kernelTargetFor(gpu.info.software);
  const texels = texelPolicyFor({ software: target === 'software', wgslFeatures: gpu.wgslFeatures });
  state = { gpu, dispatcher: new Dispatcher(gpu.device, gpu.limits, texels), target };
  try {
    for (const check of initChecks) await check(gpu);
  } catch (e) {
    await shutdown().catch(() => {});
    throw e;
  }
  return gpu;
}

export function isInitialised(): boolean {
  return state !== null;
}

/** Runs fn on the engine, opening it first and closing it after if it was not already open. */
export async function withEngine<T>(opts: DeviceOptions, fn: (gpu: Gpu) => Promise<T>): Promise<T> {
  const opened = !state;
  const gpu = await init(opts);
  let result: T;
  try {
    result = await fn(gpu);
  } catch (e) {
    // The run's own error is the one to report: after a device loss shutdown fails too.
    if (opened) await shutdown().catch(() => {});
    throw e;
  }
  if (opened) await shutdown();
  return result;
}

export function dispatcher(): Dispatcher {
  if (!state) throw new Error('dawnflow: the engine is not initialised; await init() first');
  return state.dispatcher;
}

/** The kind of adapter the kernels are chosen for on the open device (kernel_target.ts). */
export function kernelTarget(): KernelTarget {
  if (!state) throw new Error('dawnflow: the engine is not initialised; await init() first');
  return state.target;
}

export function currentGpu(): Gpu {
  if (!state) throw new Error('dawnflow: the engine is not initialised; await init() first');
  return state.gpu;
}

/** Finishes pending work, then destroys the device so Node can exit. */
export async function shutdown(): Promise<void> {
  if (!state) return;
  try {
    await state.dispatcher.sync();
  } finally {
    state = null;
    destroyGpu();
  }
}

/** Memory of the engine: pool byte counters (in use, peak, allocated). */
export function memory(): ReturnType<Dispatcher['pool']['snapshot']> {
  return dispatcher().pool.snapshot();
}
