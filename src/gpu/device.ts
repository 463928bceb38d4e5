// Acquires the one Dawn adapter and device the engine uses, with the largest storage and buffer
// limits the adapter allows, and turns device loss into a clear, sticky error.
import { create, globals } from 'webgpu';
import { setting } from '../util/settings.js';
import { withoutNativeStderr } from './quiet_stderr.js';

// GPUBufferUsage, GPUMapMode, ... are globals in browsers; Dawn's binding provides them here.
Object.assign(globalThis, globals);

export interface DeviceOptions {
  /** Substring of the adapter name (Dawn's `adapter=` flag); env DAWNFLOW_ADAPTER. */
  adapter?: string;
  /** A Dawn backend: vulkan, metal, d3d12, d3d11, opengl, opengles, null; env DAWNFLOW_BACKEND. */
  backend?: string;
  /** Let Dawn's own notes on stderr through (the CLI's --verbose); by default they are dropped. */
  verbose?: boolean;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
  features: string[];
  /** The WGSL language features of the Dawn instance (navigator.gpu.wgslLanguageFeatures). */
  wgslFeatures: string[];
  limits: Record<string, number>;
}

let instance: GPU | null = null;
let current: Gpu | null = null;
let pending: Promise<Gpu> | null = null;
let lostMessage: string | null = null;
/** Devices destroyed on purpose (shutdown): their 'destroyed' loss is no error. */
const closing = new WeakSet<GPUDevice>();
/** Set by loseDevice(): what destroyed the device, for the loss message. */
let lostCause: string | null = null;

/** Requested limits: everything that bounds tensor sizes, as large as the adapter allows. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxTextureDimension2D',
] as const;

export function limitsOf(obj: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k in obj) {
    const v = (obj as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

export function summarise(adapter: GPUAdapter): AdapterSummary {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  const software = Boolean(i.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/.test(text);
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    software,
    subgroupMinSize: i.subgroupMinSize,
    subgroupMaxSize: i.subgroupMaxSize,
  };
}

function dawnFlags(opts: DeviceOptions): string[] {
  const flags: string[] = [];
  const backend = opts.backend ?? setting('DAWNFLOW_BACKEND');
  const adapter = opts.adapter ?? setting('DAWNFLOW_ADAPTER');
  if (backend) flags.push(`backend=${backend}`);
  if (adapter) flags.push(`adapter=${adapter}`);
  // Dawn rounds timestamps to 2^16 ns by default (a browser fingerprinting guard); the profiler
  // wants the GPU's own resolution.
  flags.push('disable-dawn-features=timestamp_quantization');
  return flags;
}

const SETUP_HINT =
  'no WebGPU adapter found. Without a GPU, install Mesa >= 24 lavapipe: ' +
  'sudo bash scripts/setup-software-gpu.sh (Debian 12 / Ubuntu)';

/** An --adapter/--backend that matches none of the adapters found: a usage error (exit 2). */
export class AdapterChoiceError extends Error {}

/**
 * Dawn's refusal of an --adapter or --backend that matches nothing lists the adapters it found;
 * then the fix is to pick one of them, not to install lavapipe. Null when it found none.
 */
function noMatch(msg: string, opts: DeviceOptions): string | null {
  const found = [...msg.matchAll(/backend: '([^']+)', name: '([^']+)'/g)].map(([, b, n]) => `'${n}' (${b})`);
  if (!found.length) return null;
  const asked = [opts.adapter ?? setting('DAWNFLOW_ADAPTER'), opts.backend ?? setting('DAWNFLOW_BACKEND')];
  const what = asked
    .filter(Boolean)
    .map((a) => `'${a}'`)
    .join(', ');
  return (
    `no adapter matches ${what}; adapters found: ${found.join(', ')}; ` +
    'pick one by a part of its name (--adapter) or its backend (--backend), or leave both out'
  );
}

async function requestAdapter(opts: DeviceOptions): Promise<GPUAdapter> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  let adapter: GPUAdapter | null;
  try {
    // high-performance: Dawn then ranks discrete and integrated GPUs ahead of CPU adapters.
    // Keep the instance referenced: if it is garbage-collected, Dawn tears down the device under
    // running work and the process dies with a futex/mutex assertion.
    instance = create(dawnFlags(opts));
    // Dawn discovers the adapters (and prints its notes) inside the call, before it returns.
    const request = () => instance!.requestAdapter({ powerPreference: 'high-performance' });
    adapter = await (opts.verbose ? request() : withoutNativeStderr(request));
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ').trim();
    const none = noMatch(msg, opts);
    if (none) throw new AdapterChoiceError(`dawnflow: ${none}`);
    throw new Error(`dawnflow: ${msg}. Pick another --adapter/--backend, or: ${SETUP_HINT}`);
  }
  if (!adapter) throw new Error(`dawnflow: ${SETUP_HINT}`);
  return adapter;
}

async function open(opts: DeviceOptions): Promise<Gpu> {
  const adapter = await requestAdapter(opts);
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  lostMessage = null;
  lostCause = null;
  device.lost.then((info) => {
    if (closing.has(device)) return;
    const why = lostCause ? `${info.reason} by ${lostCause}` : info.reason;
    lostMessage = `dawnflow: the GPU device was lost (${why}): ${info.message.replace(/\s+/g, ' ').trim()}`;
    console.error(lostMessage);
  });
  return {
    device,
    adapter,
    info: summarise(adapter),
    features: [...device.features].sort(),
    wgslFeatures: [...(instance?.wgslLanguageFeatures ?? [])].sort(),
    limits: limitsOf(device.limits),
  };
}

/** The engine's device, opened on first use with the given options. */
export async function getGpu(opts: DeviceOptions = {}): Promise<Gpu> {
  if (current) return current;
  pending ??= open(opts)
    .then((g) => (current = g))
    .finally(() => (pending = null));
  return pending;
}

/** The open device; throws if `getGpu()` has not completed or the device was lost. */
export function gpu(): Gpu {
  if (lostMessage) throw new Error(lostMessage);
  if (!current) throw new Error('dawnflow: the GPU is not initialised; await init() first');
  return current;
}

export function deviceLost(): string | null {
  return lostMessage;
}

/** Destroys the device. Dawn keeps Node alive until this is called. */
export function destroyGpu(): void {
  if (current) closing.add(current.device);
  current?.device.destroy();
  current = null;
}

/**
 * Destroys the device without going through shutdown, as a driver reset or a removed GPU
 * would: the fault-injection suite's device loss (src/util/fault.ts). Every later launch or
 * readback then fails with the loss message.
 */
export function loseDevice(cause: string): void {
  lostCause = cause;
  current?.device.destroy();
}
