// Compute pipelines keyed by their specialisation (kernel, {{defines}}, override constants).
// Each is built once; explicit layouts so every declared binding is kept even if unused.
import type { Constants, KernelSpec } from './program.js';
import { type TexelAccess, texelLayout } from './texel_access.js';
import { dumpKernel, shaderSource, wgslDumpDir, type Defines, type KernelDump } from './shader_source.js';

/** Define values longer than this go into the key by their interned number. */
const LONG_DEFINE = 64;

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  key: string;
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  private interned = new Map<string, number>();
  created = 0;

  constructor(private device: GPUDevice) {}

  /**
   * `access`: how the spec's 'texture' operands are bound. It is not in the key: a texture
   * kernel's defines already name it (texel_access.ts launchDefines), and others bind no texture.
   */
  get<P>(spec: KernelSpec<P>, defines: Defines, constants: Constants, access: TexelAccess = 'sampled'): CachedPipeline {
    const key = `${spec.name}|${this.definesKey(defines)}|${JSON.stringify(constants)}`;
    let hit = this.pipelines.get(key);
    if (!hit) {
      hit = this.build(spec, defines, constants, key, access);
      this.pipelines.set(key, hit);
    }
    return hit;
  }

  /**
   * The defines as a key. Generated bodies (the Winograd transforms, 4-6 KB each, 28 launches
   * of a from-scratch step) were stringified whole at every launch; a long value is named by
   * its interned number instead (the generators memoize their strings). The JS thread's time in
   * this lookup went from 47 to 34 ms over 33 steps (V8 CPU profile).
   */
  private definesKey(defines: Defines): string {
    let key = '';
    for (const name in defines) {
      const v = defines[name];
      // A JSON value cannot be mistaken for an interned '#n'.
      key += `${name}:${typeof v === 'string' && v.length > LONG_DEFINE ? `#${this.intern(v)}` : JSON.stringify(v)},`;
    }
    return key;
  }

  private intern(text: string): number {
    let id = this.interned.get(text);
    if (id === undefined) {
      id = this.interned.size;
      this.interned.set(text, id);
    }
    return id;
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
