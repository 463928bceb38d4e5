// Compute pipelines keyed by their specialisation (kernel, {{defines}}, override constants).
// Each is built once; explicit layouts so every declared binding is kept even if unused.
import type { Constants, KernelSpec } from './program.js';
import { type TexelAccess, texelLayout } from './texel_access.js';
import { dumpKernel, shaderSource, wgslDumpDir, type Defines, type KernelDump } from './shader_source.js';

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  key: string;
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  created = 0;

  constructor(private device: GPUDevice) {}

  /**
   * `access`: how the spec's 'texture' operands are bound. It is not in the key: a texture
   * kernel's defines already name it (texel_access.ts launchDefines), and others bind no texture.
   */
  get<P>(spec: KernelSpec<P>, defines: Defines, constants: Constants, access: TexelAccess = 'sampled'): CachedPipeline {
    const key = `${spec.name}|${JSON.stringify(defines)}|${JSON.stringify(constants)}`;
    let hit = this.pipelines.get(key);
    if (!hit) {
      hit = this.build(spec, defines, constants, key, access);
      this.pipelines.set(key, hit);
    }
    return hit;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private build<P>(spec: KernelSpec<P>, defines: Defines, constants: Constants, key: string, access: TexelAccess) {
    const modKey = `${spec.shader}|${JSON.stringify(defines)}`;
    let module = this.modules.get(modKey);
    if (!module) {
      module = this.device.createShaderModule({ code: shaderSource(spec.shader, defines), label: spec.name });
      this.modules.set(modKey, module);
    }
    const layout = this.layout(spec, access);
    const specialised = kernelDumpOf(spec, defines, constants);
    const pipeline = this.device.createComputePipeline({
      label: spec.name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout], label: spec.name }),
      compute: { module, entryPoint: specialised.entry, constants: specialised.constants },
    });
    const dumpDir = wgslDumpDir();
    if (dumpDir) dumpKernel(dumpDir, specialised, shaderSource(spec.shader, defines));
    this.created++;
    return { pipeline, layout, key };
  }

  private layout<P>(spec: KernelSpec<P>, access: TexelAccess): GPUBindGroupLayout {
    const layoutKey = `${spec.name}|${access}`;
    let layout = this.layouts.get(layoutKey);
    if (layout) return layout;
    const entries: GPUBindGroupLayoutEntry[] = spec.bindings.map((a, i): GPUBindGroupLayoutEntry => {
      const visibility = GPUShaderStage.COMPUTE;
      if (a === 'texture') return texelLayout(i, access);
      if (a === 'storage_texture_rgba16f') {
        return { binding: i, visibility, storageTexture: { access: 'write-only', format: 'rgba16float' } };
      }
      return { binding: i, visibility, buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' } };
    });
    if (spec.uniforms.length) {
      entries.push({ binding: spec.bindings.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    }
    layout = this.device.createBindGroupLayout({ entries, label: spec.name });
    this.layouts.set(layoutKey, layout);
    return layout;
  }
}

/** A specialisation as the pipeline is created: every override constant, WG_X/Y/Z included. */
export function kernelDumpOf<P>(spec: KernelSpec<P>, defines: Defines, constants: Constants): KernelDump {
  const [x, y, z] = spec.workgroup;
  return {
    kernel: spec.name,
    shader: spec.shader,
    entry: spec.entry ?? 'main',
    defines,
    constants: { WG_X: x, WG_Y: y, WG_Z: z, ...numeric(constants) },
    workgroup: [x, y, z],
  };
}

function numeric(c: Constants): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) out[k] = typeof v === 'boolean' ? Number(v) : v;
  return out;
}
