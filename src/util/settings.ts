// Every DAWNFLOW_* environment variable, declared once: its type and allowed values, default,
// one-line description, and the modules that read it. All reads go through setting() below, so
// a misspelt value fails with one line naming the variable and what it takes instead of being
// ignored, and docs/settings.md (rendered from this table by settings_doc.ts; a test keeps it
// current) cannot drift from the code. Test-only variables are registered too, marked testOnly.
//
// An empty value counts as unset (as an empty assignment in a shell is usually meant). Values are
// read on every call, not cached: tests change them between cases.

/** 1 on; 0 or unset off. */
interface FlagSpec {
  kind: 'flag';
  default: false;
}
/** One of `values`; `default` when unset (null: the code decides, as `unset` says). */
interface ChoiceSpec {
  kind: 'choice';
  values: readonly string[];
  default: string | null;
}
/** An integer >= min; `default` when unset (null: as `unset` says). */
interface IntSpec {
  kind: 'int';
  min: number;
  default: number | null;
}
/** Free text (a path, a name) or, with `pattern`, text of the form `format`. */
interface TextSpec {
  kind: 'text';
  default: null;
  format?: string;
  pattern?: RegExp;
}

export type SettingSpec = (FlagSpec | ChoiceSpec | IntSpec | TextSpec) & {
  /** What applies when unset, in words, where `default` alone does not say. */
  unset?: string;
  description: string;
  /** The modules that read it, from the repository root. */
  readers: readonly string[];
  /** Read only by the test suites (fault points, loopback sources, fuzzers, seeds). */
  testOnly?: boolean;
};

const FAULT_SPEC = /^[a-z][a-z-]*(@[1-9]\d*)?(\s*,\s*[a-z][a-z-]*(@[1-9]\d*)?)*$/;
const FUZZ_READERS = ['test/faults/fuzz_helpers.ts'];

export const SETTINGS = {
  DAWNFLOW_ADAPTER: {
    kind: 'text',
    default: null,
    format: 'NAME',
    unset: "Dawn's default adapter",
    description: 'Substring of the adapter name to run on (as --adapter, which wins)',
    readers: ['src/gpu/device.ts', 'src/cli/summary.ts'],
  },
  DAWNFLOW_BACKEND: {
    kind: 'choice',
    values: ['vulkan', 'metal', 'd3d12', 'd3d11', 'opengl', 'opengles', 'null'],
    default: null,
    unset: "Dawn's default backend",
    description: 'The Dawn backend to run on (as --backend, which wins)',
    readers: ['src/gpu/device.ts', 'src/cli/info.ts', 'src/cli/summary.ts'],
  },
  DAWNFLOW_CONV: {
    kind: 'choice',
    values: ['gemm', 'tex', 'sg', 'wino', 'wino4'],
    default: null,
    unset: 'the tuned choice, else per adapter (src/kernels/plan.ts)',
    description: 'Forces one conv/dense kernel variant where legal (else the next legal one down)',
    readers: ['src/kernels/plan_context.ts'],
  },
  DAWNFLOW_GEMM: {
    kind: 'choice',
    values: ['tiled', 'naive'],
    default: null,
    unset: 'naive for products of <= 32 rows, else tiled',
    description: 'Forces one GEMM core, and with it the gemm variant (over DAWNFLOW_CONV; setConvVariant wins)',
    readers: ['src/kernels/plan_context.ts'],
  },
  DAWNFLOW_F16: {
    kind: 'flag',
    default: false,
    description: 'Stages texture-fed kernel operands as f16 (f32 arithmetic) where the device can',
    readers: ['src/kernels/plan_context.ts'],
  },
  DAWNFLOW_TUNING: {
    kind: 'choice',
    values: ['on', 'off'],
    default: 'on',
    description: "off ignores this adapter's tuning cache (dawnflow tune's measurements)",
    readers: ['src/kernels/tuning.ts'],
  },
  DAWNFLOW_CACHE_DIR: {
    kind: 'text',
    default: null,
    format: 'DIR',
    unset: '$XDG_CACHE_HOME/dawnflow, else ~/.cache/dawnflow',
    description: 'Folder of the per-adapter tuning cache files',
    readers: ['src/kernels/tuning.ts'],
  },
  DAWNFLOW_SYNC: {
    kind: 'flag',
    default: false,
    description: 'Submits and checks every kernel launch alone (slow; pins down a failing kernel)',
    readers: ['src/gpu/dispatcher.ts'],
  },
  DAWNFLOW_TEXEL: {
    kind: 'choice',
    values: ['sampled', 'storage'],
    default: null,
    unset:
      'storage where kernels are chosen for a software adapter and WGSL allows it, else sampled (src/gpu/texel_access.ts)',
    description: 'How kernels read their texture operands: sampled or read-only storage textures',
    readers: ['src/gpu/texel_access.ts'],
  },
  DAWNFLOW_PLAN_AS: {
    kind: 'choice',
    values: ['software', 'gpu'],
    default: null,
    unset: "the adapter's own kind (src/gpu/kernel_target.ts)",
    description:
      "Chooses kernels and texel access as for a software adapter or a GPU, whatever the adapter (gpu: a GPU's plan on lavapipe)",
    readers: ['src/gpu/kernel_target.ts'],
  },
  DAWNFLOW_SPIN: {
    kind: 'flag',
    default: false,
    description: "Keeps Dawn's continuous polling while awaiting the GPU instead of a 1 ms timer",
    readers: ['src/gpu/gpu_wait.ts'],
  },
  DAWNFLOW_DUMP_WGSL: {
    kind: 'text',
    default: null,
    format: 'DIR',
    unset: 'no dump',
    description: 'Folder every specialised kernel is written to as it compiles (as --dump-wgsl, which wins)',
    readers: ['src/gpu/shader_source.ts'],
  },
  DAWNFLOW_DEBUG: {
    kind: 'flag',
    default: false,
    description: 'The CLI prints the stack and chain of causes after its one-line error',
    readers: ['src/cli/main.ts'],
  },
  DAWNFLOW_INTERNAL_SOURCES: {
    kind: 'text',
    default: null,
    format: 'FILE.json',
    unset: 'the real download sources',
    description: 'A JSON map of file name to {url, md5}: downloads from a loopback server',
    readers: ['src/io/internal_sources.ts'],
    testOnly: true,
  },
  DAWNFLOW_FAULT_PAUSE_IN: {
    kind: 'text',
    default: null,
    format: 'point[@n][,point[@n]...]',
    pattern: FAULT_SPEC,
    unset: 'no pause',
    description: 'Pauses at the n-th hit of a fault point (train-step, checkpoint-write, state-write) to be killed',
    readers: ['src/util/fault.ts'],
    testOnly: true,
  },
  DAWNFLOW_FAULT_PAUSE_MS: {
    kind: 'int',
    min: 0,
    default: 60_000,
    description: 'How long a DAWNFLOW_FAULT_PAUSE_IN pause sleeps',
    readers: ['src/util/fault.ts'],
    testOnly: true,
  },
  DAWNFLOW_FAULT_LOSE_DEVICE_IN: {
    kind: 'text',
    default: null,
    format: 'point[@n]',
    pattern: FAULT_SPEC,
    unset: 'no loss',
    description: 'Destroys the GPU device at the n-th hit of a fault point, as a driver reset would',
    readers: ['src/util/fault.ts'],
    testOnly: true,
  },
  DAWNFLOW_TEST_SEED: {
    kind: 'int',
    min: 0,
    default: null,
    unset: 'a fresh random seed per run',
    description: "Base seed of the GPU tests' random inputs (replays a run)",
    readers: ['test/helpers/tensors.ts'],
    testOnly: true,
  },
  DAWNFLOW_FUZZ_SEED: {
    kind: 'int',
    min: 0,
    default: 20240808,
    description: 'Seed of the fuzzers (replays a run)',
    readers: FUZZ_READERS,
    testOnly: true,
  },
  DAWNFLOW_FUZZ_CASE: {
    kind: 'int',
    min: 0,
    default: null,
    unset: 'every case',
    description: 'Runs one fuzz case alone',
    readers: FUZZ_READERS,
    testOnly: true,
  },
  DAWNFLOW_FUZZ_SAVE: {
    kind: 'text',
    default: null,
    format: 'PATH',
    unset: 'not kept',
    description: "With DAWNFLOW_FUZZ_CASE, keeps that case's file there",
    readers: FUZZ_READERS,
    testOnly: true,
  },
  DAWNFLOW_FUZZ_NPY_CASES: {
    kind: 'int',
    min: 1,
    default: 1500,
    description: 'Cases of the NPY fuzzer',
    readers: ['test/faults/fuzz_npy.test.ts'],
    testOnly: true,
  },
  DAWNFLOW_FUZZ_H5_CASES: {
    kind: 'int',
    min: 1,
    default: 4000,
    description: 'Cases of the HDF5 fuzzer',
    readers: ['test/faults/fuzz_h5.test.ts'],
    testOnly: true,
  },
  DAWNFLOW_FUZZ_IMAGE_CASES: {
    kind: 'int',
    min: 1,
    default: 8000,
    description: 'Cases of the image-decoder fuzzer',
    readers: ['test/faults/fuzz_images.test.ts'],
    testOnly: true,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
type Env = Record<string, string | undefined>;

/** What setting() returns for a spec: its value type, null where unset has no default. */
export type SettingValue<S> = S extends { kind: 'flag' }
  ? boolean
  : S extends { kind: 'choice'; values: readonly (infer V)[]; default: infer D }
    ? V | (D extends null ? null : never)
    : S extends { kind: 'int'; default: infer D }
      ? number | (D extends null ? null : never)
      : string | null;

/** The value of `name` in `env`: its default when unset; a one-line error when invalid. */
export function setting<N extends SettingName>(name: N, env: Env = process.env): SettingValue<(typeof SETTINGS)[N]> {
  const spec: SettingSpec = SETTINGS[name];
  const raw = env[name];
  if (raw === undefined || raw === '') return spec.default as SettingValue<(typeof SETTINGS)[N]>;
  const value = parseValue(spec, raw);
  if (value === undefined) throw new Error(`dawnflow: ${name} must be ${allowed(spec)}, got '${raw}'`);
  return value as SettingValue<(typeof SETTINGS)[N]>;
}

function parseValue(spec: SettingSpec, raw: string): boolean | string | number | undefined {
  switch (spec.kind) {
    case 'flag':
      return raw === '1' ? true : raw === '0' ? false : undefined;
    case 'choice':
      return spec.values.includes(raw) ? raw : undefined;
    case 'int': {
      const n = Number(raw);
      return /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n) && n >= spec.min ? n : undefined;
    }
    case 'text':
      return !spec.pattern || spec.pattern.test(raw) ? raw : undefined;
  }
}

/** The values a spec takes, as an error message or the docs say it. */
export function allowed(spec: SettingSpec): string {
  switch (spec.kind) {
    case 'flag':
      return '0 or 1';
    case 'choice':
      return `one of ${spec.values.join(', ')}`;
    case 'int':
      return `an integer >= ${spec.min}`;
    case 'text':
      return spec.format ?? 'any text';
  }
}

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}

/** One line per invalid registered value, and one per DAWNFLOW_* name that is no setting. */
export function checkSettings(env: Env = process.env): { errors: string[]; unknown: string[] } {
  const errors: string[] = [];
  const unknown: string[] = [];
  for (const name of Object.keys(env)
    .filter((k) => k.startsWith('DAWNFLOW_'))
    .sort()) {
    if (!isSettingName(name)) {
      unknown.push(`dawnflow: warning: ${name} is not a dawnflow setting (docs/settings.md lists them); ignored`);
      continue;
    }
    try {
      setting(name, env);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { errors, unknown };
}

/** Every DAWNFLOW_* variable set in `env`, registered or not, as given (bench reports record it). */
export function dawnflowEnvironment(env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('DAWNFLOW_') && v !== undefined) out[k] = v;
  return out;
}
