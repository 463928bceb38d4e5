// Bind groups kept by what they bind. A training step launches the same kernels every step,
// and where the pools hand it the same buffers and staging textures as the step before (and
// the uniform buffers are kept by content), a launch finds its bind group here instead of
// making one: Dawn's createBindGroup validates the entries and allocates and writes a Vulkan
// descriptor set. On lavapipe the from-scratch convnet's step spent 2.2 ms of main-thread time
// in it (78 launches), 0.1 ms with the cache, and the synchronous part of the step (the
// encoding before the first submit) went from 13.0-13.5 to 8.5-10.1 ms (two interleaved runs).
// Where the pool rotates same-sized buffers between steps, groups are made as before. Keys are
// object identities, so a group only comes back for the very objects it binds; past
// `capacity` the least recently used goes.

import { ObjectIds } from './object_ids.js';

/** A bound resource: a whole buffer, or a texture view. */
export type Bound = GPUBuffer | GPUTextureView;

export class BindGroupCache {
  private ids = new ObjectIds();
  private groups = new Map<string, GPUBindGroup>();
  hits = 0;
  misses = 0;

  constructor(
    private device: GPUDevice,
    private capacity = 4096,
  ) {}

  /** The group binding resources[i] at binding i under `layout`. */
  get(layout: GPUBindGroupLayout, resources: readonly Bound[], label: string): GPUBindGroup {
    let key = String(this.ids.of(layout));
    for (const r of resources) key += `,${this.ids.of(r)}`;
    const hit = this.groups.get(key);
    if (hit) {
      this.hits++;
      this.groups.delete(key);
      this.groups.set(key, hit);
      return hit;
    }
    this.misses++;
    const entries = resources.map((r, binding) => ({
      binding,
      resource: r instanceof GPUBuffer ? { buffer: r } : r,
    }));
    const group = this.device.createBindGroup({ layout, entries, label });
    if (this.groups.size >= this.capacity) this.groups.delete(this.groups.keys().next().value!);
    this.groups.set(key, group);
    return group;
  }

  get size(): number {
    return this.groups.size;
  }
}
