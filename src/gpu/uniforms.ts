// Packs a kernel's uniform block following WGSL's uniform layout rules: scalars are 4-byte
// aligned, vec4 members 16-byte aligned, and the block is padded to a multiple of 16 bytes.
import type { UniformType } from './program.js';

const ALIGN: Record<UniformType, number> = { u32: 4, i32: 4, f32: 4, vec4u: 16, vec4i: 16 };
const SIZE: Record<UniformType, number> = { u32: 4, i32: 4, f32: 4, vec4u: 16, vec4i: 16 };

export function uniformSize(fields: readonly (readonly [string, UniformType])[]): number {
  let off = 0;
  for (const [, t] of fields) off = Math.ceil(off / ALIGN[t]) * ALIGN[t] + SIZE[t];
  return Math.max(16, Math.ceil(off / 16) * 16);
}

export function packUniforms(
  kernel: string,
  fields: readonly (readonly [string, UniformType])[],
  values: Record<string, number | readonly number[]>,
): Uint8Array {
  const bytes = new Uint8Array(uniformSize(fields));
  const view = new DataView(bytes.buffer);
  let off = 0;
  for (const [name, t] of fields) {
    off = Math.ceil(off / ALIGN[t]) * ALIGN[t];
    const v = values[name];
    if (v === undefined) throw new Error(`dawnflow: kernel ${kernel} is missing uniform ${name}`);
    const list = typeof v === 'number' ? [v] : v;
    const n = SIZE[t] / 4;
    if (list.length > n) throw new Error(`dawnflow: kernel ${kernel} uniform ${name} has > ${n} values`);
    for (let i = 0; i < n; i++) writeScalar(view, off + 4 * i, t, list[i] ?? 0, kernel, name);
    off += SIZE[t];
  }
  return bytes;
}

function writeScalar(view: DataView, at: number, t: UniformType, v: number, k: string, n: string) {
  if (t === 'f32') return view.setFloat32(at, v, true);
  if (!Number.isInteger(v)) throw new Error(`dawnflow: kernel ${k} uniform ${n} must be an integer`);
  if (t === 'u32' || t === 'vec4u') {
    if (v < 0 || v > 0xffffffff) throw new Error(`dawnflow: kernel ${k} uniform ${n}=${v} out of u32`);
    view.setUint32(at, v, true);
  } else {
    view.setInt32(at, v, true);
  }
}
