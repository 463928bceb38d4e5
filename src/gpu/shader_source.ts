// Loads WGSL from shaders/, expands `//#include "file.wgsl"` lines (WGSL has no include) and
// named `{{KEY}}` placeholders for structural variants. A leftover placeholder is an error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setting } from '../util/settings.js';

function findShaderDir(): string {
  // Works from src/gpu (vitest, tsx) and from dist/src/gpu (compiled): walk up to shaders/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'shaders');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('dawnflow: cannot find the shaders/ folder of the package');
}

export const SHADER_DIR = findShaderDir();
const fileCache = new Map<string, string>();

function readFile(file: string): string {
  let text = fileCache.get(file);
  if (text === undefined) {
    text = readFileSync(join(SHADER_DIR, file), 'utf8');
    fileCache.set(file, text);
  }
  return text;
}

export type Defines = Record<string, string | number | boolean>;

/** Substitutes {{KEY}} first, so an include may name a variant: //#include "gemm_{{CORE}}.wgsl". */
function expand(file: string, defines: Defines, seen: Set<string>): string {
  if (seen.has(file)) throw new Error(`dawnflow: shader include cycle through ${file}`);
  const text = readFile(file).replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!(key in defines)) throw new Error(`dawnflow: shader ${file} needs a value for {{${key}}}`);
    return String(defines[key]);
  });
  const next = new Set(seen).add(file);
  return text.replace(/^\/\/#include "([\w.]+)"\s*$/gm, (_, inc: string) => expand(inc, defines, next));
}

/** The WGSL of `shaders/<stem>.wgsl` with `{{KEY}}` values and includes expanded. */
export function shaderSource(stem: string, defines: Defines = {}): string {
  return expand(`${stem}.wgsl`, defines, new Set());
}

// --- dumping specialised kernels -------------------------------------------------------------

let dumpDir: string | null = null;

/** Sets (or clears) the folder every specialised kernel is written to as it is compiled. */
export function setWgslDumpDir(dir: string | null): void {
  dumpDir = dir;
}

/** `--dump-wgsl DIR` (setWgslDumpDir), else env DAWNFLOW_DUMP_WGSL=DIR, else null. */
export function wgslDumpDir(): string | null {
  return dumpDir ?? setting('DAWNFLOW_DUMP_WGSL');
}

/** One pipeline specialisation: what the pipeline cache compiled. */
export interface KernelDump {
  kernel: string;
  shader: string;
  entry: string;
  defines: Defines;
  /** Every override constant the pipeline was created with (WG_X/Y/Z included). */
  constants: Record<string, number>;
  workgroup: readonly [number, number, number];
}

/** An 8-hex-digit hash of a specialisation's defines, constants and workgroup size. */
export function specialisationHash(d: KernelDump): string {
  const text = JSON.stringify([d.shader, d.entry, d.defines, d.constants, d.workgroup]);
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * Writes `<dir>/<kernel>.<hash>.wgsl`: the final WGSL (includes and {{KEY}}s expanded) under a
 * header comment naming the shader, defines, override constants and workgroup size. The file
 * compiles on its own; the overrides take the values listed when it is made into a pipeline.
 */
export function dumpKernel(dir: string, d: KernelDump, code: string): string {
  mkdirSync(dir, { recursive: true });
  const kv = (o: Record<string, unknown>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ') || '(none)';
  const hash = specialisationHash(d);
  const header = [
    `// dawnflow kernel ${JSON.stringify(d.kernel)}, specialisation ${hash}`,
    `// shader: shaders/${d.shader}.wgsl, entry point ${d.entry}`,
    `// defines: ${kv(d.defines)}`,
    `// override constants: ${kv(d.constants)}`,
    `// workgroup size: ${d.workgroup.join('x')}`,
  ]
    .map((l) => l.replace(/[\r\n]/g, ' '))
    .join('\n');
  const file = join(dir, `${d.kernel.replace(/[^\w.-]/g, '_').slice(0, 120)}.${hash}.wgsl`);
  writeFileSync(file, `${header}\n\n${code}`);
  return file;
}
