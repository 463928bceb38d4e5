// `dawnflow info`: the adapter (vendor, architecture, description, software or not), the
// device's features and limits, as text or --json.
import { dispatcher, kernelTarget, withEngine } from '../gpu/engine.js';
import type { DeviceOptions, Gpu } from '../gpu/device.js';
import { kernelTargetNote } from '../gpu/kernel_target.js';
import { adapterFacts, adapterShareFault } from '../kernels/plan_context.js';
import { setting } from '../util/settings.js';
import type { FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';

export const INFO_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  json: { kind: 'boolean', help: 'print the adapter, features and limits as JSON' },
};

/**
 * The sg kernels' lane share on this adapter: its lanes where the engine's self-test passed, the
 * fault where it failed (those kernels are then off), or 'none' without usable subgroups.
 */
function shareLine(): string {
  const fault = adapterShareFault();
  if (fault) return `off: the self-test failed (${fault})`;
  const share = adapterFacts().sgShare;
  return share ? `${share.lanes} lanes (self-test passed)` : 'none';
}

/** Which kind of adapter the kernels are chosen for, and how texture operands are read. */
function kernelsLine(gpu: Gpu): string {
  const target = kernelTarget();
  const forced = kernelTargetNote(target, gpu.info.software) ? ' (DAWNFLOW_PLAN_AS)' : '';
  const kind = target === 'gpu' ? 'a GPU' : 'a software adapter';
  return `chosen for ${kind}${forced}; texture operands read as ${dispatcher().texelAccess} textures`;
}

export function adapterReport(gpu: Gpu): Record<string, unknown> {
  return {
    adapter: gpu.info,
    kernels: kernelsLine(gpu),
    sgShare: shareLine(),
    features: gpu.features,
    limits: gpu.limits,
    dawn: { package: 'webgpu', backendFlag: setting('DAWNFLOW_BACKEND') },
  };
}

function formatText(gpu: Gpu): string {
  const a = gpu.info;
  const lines = [
    `adapter:      ${a.description || a.device || '(unnamed)'}`,
    `vendor:       ${a.vendor || '-'}`,
    `architecture: ${a.architecture || '-'}`,
    `device:       ${a.device || '-'}`,
    `software:     ${a.software ? 'yes (CPU rasteriser; expect slow kernels)' : 'no'}`,
  ];
  if (a.subgroupMinSize) lines.push(`subgroups:    ${a.subgroupMinSize}..${a.subgroupMaxSize}`);
  lines.push(`sg share:     ${shareLine()}`, `kernels:      ${kernelsLine(gpu)}`);
  lines.push(`features:     ${gpu.features.join(', ')}`, 'limits:');
  const width = Math.max(...Object.keys(gpu.limits).map((k) => k.length));
  for (const [k, v] of Object.entries(gpu.limits)) lines.push(`  ${k.padEnd(width)}  ${v}`);
  return lines.join('\n');
}

export async function info(opts: DeviceOptions, json: boolean): Promise<number> {
  return withEngine(opts, async (gpu) => {
    console.log(json ? JSON.stringify(adapterReport(gpu), null, 2) : formatText(gpu));
    return 0;
  });
}
