// Loads WGSL from shaders/, expands `//#include "file.wgsl"` lines (WGSL has no include) and
// named `{{KEY}}` placeholders for structural variants. A leftover placeholder is an error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const text = readFile(file).replace(/\{\{(\w+)\}\}/g, (m, key: string) => {
    if (!(key in defines)) throw new Error(`dawnflow: shader ${file} needs a value for {{${key}}}`);
    return String(defines[key]);
  });
  const next = new Set(seen).add(file);
  return text.replace(/^\/\/#include "([\w.]+)"\s*$/gm, (_, inc: string) => expand(inc, defines, next));
}

/** The WGSL of `shaders/<stem>.wgsl` with `{{KEY}}` values and includes expanded. */
export function shaderSource(stem: string, defines: Defines = {}): string {
  const out = expand(`${stem}.wgsl`, defines, new Set());
  dumpShader(stem, defines, out);
  return out;
}

/** DAWNFLOW_DUMP_WGSL=DIR writes every specialised kernel as it was compiled. */
function dumpShader(stem: string, defines: Defines, code: string): void {
  const dir = process.env.DAWNFLOW_DUMP_WGSL;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const tag = Object.entries(defines).map(([k, v]) => `${k}=${v}`).join(',');
  const name = `${stem}${tag ? '.' + tag.replace(/[^\w=,.-]/g, '_') : ''}.wgsl`;
  writeFileSync(join(dir, name.slice(0, 200)), `// ${stem} ${tag}\n${code}`);
}
