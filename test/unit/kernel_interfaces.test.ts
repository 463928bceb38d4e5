// Every KernelSpec of the engine against the WGSL it launches: the shader, expanded with each
// set of defines the spec can produce, must declare `struct Params` with the fields and types of
// spec.uniforms in order, bind group 0 exactly as spec.bindings says (storage read / read_write,
// texture, storage texture; a texture-reading spec with both texel accesses) with the uniform
// block at the next binding, declare every override constant the spec sets, and have the entry
// point. The specs are collected from the modules of
// src/{gpu,kernels,ops,nn} (any exported spec, also inside exported records), and every shader
// with a @compute entry must be launched by one of them or included by another shader, so a new
// kernel cannot miss the check. Last, the fused activations' op codes (ACT_CODE) against
// activation.wgsl's switch and the op table.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Access, KernelSpec, UniformType } from '../../src/gpu/program.js';
import { SHADER_DIR, shaderSource, type Defines } from '../../src/gpu/shader_source.js';
import { launchDefines, type TexelAccess } from '../../src/gpu/texel_access.js';
import { ACT_CODE } from '../../src/kernels/activation.js';
import { BINARY_NAMES, UNARY_NAMES, UNARY_TABLE } from '../../src/kernels/elementwise_table.js';
import { GEMM_VARIANTS } from '../../src/kernels/gemm.js';

type AnySpec = KernelSpec<unknown>;
const SRC = join(import.meta.dirname, '../../src');
const LAYERS = ['gpu', 'kernels', 'ops', 'nn'];

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modules(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function isSpec(v: unknown): v is AnySpec {
  const s = v as AnySpec;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.shader === 'string' &&
    Array.isArray(s.bindings) &&
    Array.isArray(s.uniforms) &&
    typeof s.dispatch === 'function'
  );
}

/** Specs among an export and the plain records inside it (sgForwardKernels.all, POOLS, ...). */
function specsIn(v: unknown, depth = 0): AnySpec[] {
  if (isSpec(v)) return [v];
  if (depth > 2 || !v || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return [];
  return Object.values(v).flatMap((x) => specsIn(x, depth + 1));
}

const found = new Map<AnySpec, string>();
for (const file of LAYERS.flatMap((l) => modules(join(SRC, l)))) {
  const mod = (await import(file)) as Record<string, unknown>;
  for (const spec of Object.values(mod).flatMap((v) => specsIn(v))) {
    if (!found.has(spec)) found.set(spec, relative(SRC, file));
  }
}
const SPECS = [...found].map(([spec, file]) => ({ spec, file, name: spec.name }));

/**
 * Launch parameters to ask spec.defines and spec.constants with: those that read them (the
 * elementwise op, the GEMM core, a binary op's shapes, the Winograd tile) get each value; the rest ignore them.
 * Every distinct set of defines is checked.
 */
const PARAM_SAMPLES: unknown[] = [
  {},
  ...UNARY_NAMES.map((op) => ({ op })),
  ...BINARY_NAMES.map((op) => ({ op, a: [1], b: [1], out: [1] })),
  ...GEMM_VARIANTS.map((core) => ({ plan: { core } })),
  // The Winograd transforms' tile sizes (WinoPlan.tile), plain and with their variants' bodies
  // (the input gradient's weight transform, the pooled output).
  { tile: 2 },
  { tile: 4 },
  { tile: 2, flip: true, pool: true },
  { tile: 4, flip: true, pool: true },
  // The transforms that read a fused pool's gradient, for both parities of their padding.
  { tile: 2, g: { PT: 1 } },
  { tile: 4, g: { PT: 2 } },
  // The patch matrix's taps (conv_patches.ts), built by rows and by windows, and its window-order
  // rows' backward.
  { g: { CI: 3, KH: 3, KW: 3 }, PW: 32 },
  { g: { CI: 3, KH: 3, KW: 3 }, PW: 32, pooled: { lanes: 8, PH: 1, PW: 1, windows: 1, rows: 32 } },
  { w: { lanes: 8, windows: 1, rows: 32 }, C: 4 },
  // The dense outer-product weight gradient (dense_tex.ts).
  { P: 4, K: 8, N: 4 },
  // The RGB conv + pool window kernel (conv_window_pool.ts).
  {
    g: { batch: 1, H: 4, W: 4, CI: 3, KH: 3, KW: 3, CO: 8 },
    patchWidth: 28,
    act: 'relu',
    rows: { lanes: 8, PH: 1, PW: 1, windows: 1, rows: 32 },
  },
];

/** The names of the override constants a spec sets (besides WG_X/Y/Z, which every pipeline gets). */
function constantNames(spec: AnySpec): string[] {
  const names = new Set(['WG_X', 'WG_Y', 'WG_Z']);
  let answered = !spec.constants;
  for (const p of PARAM_SAMPLES) {
    try {
      for (const k of Object.keys(spec.constants?.(p) ?? {})) names.add(k);
      answered = true;
    } catch {
      // Not a parameter set of this spec.
    }
  }
  if (!answered) throw new Error(`${spec.name}: no PARAM_SAMPLES entry is a parameter set of its constants()`);
  return [...names];
}

/** The spec's own sets, each with both texel accesses where it reads textures (as launched). */
function defineSets(spec: AnySpec): Defines[] {
  const own = new Map<string, Defines>();
  for (const p of spec.defines ? PARAM_SAMPLES : [{}]) {
    try {
      const d = spec.defines?.(p) ?? {};
      own.set(JSON.stringify(d), d);
    } catch {
      // This sample is not a parameter set of this spec.
    }
  }
  if (!spec.bindings.includes('texture')) return [...own.values()];
  return [...own.values()].flatMap((d) => TEXEL_ACCESSES.map((a) => launchDefines(d, a)));
}

const TEXEL_ACCESSES: TexelAccess[] = ['sampled', 'storage'];

/** WGSL with comments removed. */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

const WGSL_TYPE: Record<string, UniformType> = {
  u32: 'u32',
  i32: 'i32',
  f32: 'f32',
  vec4u: 'vec4u',
  'vec4<u32>': 'vec4u',
  vec4i: 'vec4i',
  'vec4<i32>': 'vec4i',
};

/** The fields of `struct Params`, as [name, UniformType or the WGSL type it has]. */
function paramsStruct(code: string): [string, string][] | null {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(code);
  if (!m) return null;
  return m[1]
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      const [name, type] = f.split(':').map((t) => t.trim());
      return [name, WGSL_TYPE[type.replace(/\s+/g, '')] ?? type];
    });
}

interface Binding {
  group: number;
  binding: number;
  access: Access | 'uniform' | string;
  type: string;
}

/** Every @group/@binding variable: its access as a KernelSpec names it ('uniform' for the block). */
function bindingsOf(code: string): Binding[] {
  const re = /@group\((\d+)\)\s*@binding\((\d+)\)\s*var\s*(?:<([^>]*)>)?\s*\w+\s*:\s*([^;]+);/g;
  const aliases = new Map([...code.matchAll(/\balias\s+(\w+)\s*=\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
  return [...code.matchAll(re)].map((m) => {
    const space = (m[3] ?? '').split(',').map((t) => t.trim());
    const type = aliases.get(m[4].trim()) ?? m[4].trim();
    let access: string = space.join(',');
    if (space[0] === 'uniform') access = 'uniform';
    else if (space[0] === 'storage') access = space[1] === 'read_write' ? 'read_write' : 'read';
    else if (/^texture_2d<f32>$|^texture_storage_2d<rgba32float,\s*read>$/.test(type)) access = 'texture';
    else if (/^texture_storage_2d<rgba16float,\s*write>$/.test(type)) access = 'storage_texture_rgba16f';
    return { group: Number(m[1]), binding: Number(m[2]), access, type };
  });
}

function checkInterface(spec: AnySpec, code: string): void {
  const fields = paramsStruct(code);
  if (spec.uniforms.length) {
    expect(fields, 'struct Params').toEqual(spec.uniforms.map(([n, t]) => [n, t]));
  }
  const want = [
    ...spec.bindings.map((access, binding) => ({ group: 0, binding, access })),
    ...(spec.uniforms.length ? [{ group: 0, binding: spec.bindings.length, access: 'uniform' }] : []),
  ];
  const got = bindingsOf(code).sort((a, b) => a.group - b.group || a.binding - b.binding);
  expect(
    got.map(({ group, binding, access }) => ({ group, binding, access })),
    'bindings',
  ).toEqual(want);
  if (spec.uniforms.length) expect(got.at(-1)!.type, 'the uniform block').toBe('Params');
  for (const name of constantNames(spec)) {
    expect(code, `override ${name}`).toMatch(new RegExp(`override\\s+${name}\\b`));
  }
  const entry = spec.entry ?? 'main';
  expect(code, `entry point ${entry}`).toMatch(new RegExp(`@compute[^;{]*fn\\s+${entry}\\s*\\(`));
}

describe.each(SPECS)('$name ($file)', ({ spec }) => {
  test.each(defineSets(spec).map((d) => [JSON.stringify(d), d] as const))(
    'uniforms, bindings and entry point match the shader with defines %s',
    (_, defines) => {
      checkInterface(spec, stripComments(shaderSource(spec.shader, defines)));
    },
  );
});

test('every shader with a @compute entry is launched by a spec or included by a shader', () => {
  const files = readdirSync(SHADER_DIR).filter((f) => f.endsWith('.wgsl'));
  const launched = new Set(SPECS.map((s) => `${s.spec.shader}.wgsl`));
  // Include names may hold a {{KEY}} (gemm_{{CORE}}.wgsl): any word stands in for it.
  const included = files.flatMap((f) =>
    [...readFileSync(join(SHADER_DIR, f), 'utf8').matchAll(/^\/\/#include "([\w.{}]+)"/gm)].map(
      (m) => new RegExp(`^${m[1].replace(/\{\{\w+\}\}/g, '\\w+')}$`),
    ),
  );
  const kernels = files.filter((f) => /@compute/.test(stripComments(readFileSync(join(SHADER_DIR, f), 'utf8'))));
  const orphans = kernels.filter((f) => !launched.has(f) && !included.some((re) => re.test(f)));
  expect(orphans).toEqual([]);
  for (const s of SPECS) expect(files, `${s.name}'s shader`).toContain(`${s.spec.shader}.wgsl`);
  expect(SPECS.length).toBeGreaterThan(20);
});

// The GEMM, conv and Winograd epilogues fuse an activation picked by the ACT override constant;
// its codes (ACT_CODE) and expressions must be those of the op table's relu and sigmoid.
test("activation.wgsl: ACT_CODE picks the op table's expression of each activation", () => {
  const code = stripComments(shaderSource('activation'));
  const re = /case\s+(\d+)u\s*:\s*\{\s*return\s+([^;]+);/g;
  const cases = new Map([...code.matchAll(re)].map((m) => [Number(m[1]), m[2]]));
  const fallback = /default\s*:\s*\{\s*return\s+([^;]+);/.exec(code)?.[1];
  for (const [act, n] of Object.entries(ACT_CODE)) {
    const want = act === 'linear' ? 'v' : UNARY_TABLE[act as 'relu' | 'sigmoid'].wgsl;
    expect(cases.get(n) ?? fallback, `ACT ${n} (${act})`).toBe(want);
  }
});
