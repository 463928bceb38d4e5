// Where the decode worker's JavaScript is. Node 20 cannot run a .ts file as a worker, so the
// worker is always the compiled dist/src/data/decode_worker.js:
//   * running from dist/ (the CLI, an installed package): it is this module's sibling, built by
//     the same tsc run, so it is found and trusted as is;
//   * running from the TypeScript sources (vitest): this module is <root>/src/data/*.ts, so the
//     worker is <root>/dist/src/data/decode_worker.js, <root> being the nearest folder above with
//     a package.json. The main thread then runs the .ts decoders and the workers the compiled
//     ones, so a build older than the sources is refused rather than silently decoding with old
//     code: a one-line error that says to run `npm run build`, never a hang.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = 'decode_worker.js';
const FIX = 'run `npm run build` (decode workers run the compiled JS), or pass threads: 0';

let memo: string | null = null;

/** The absolute path of decode_worker.js, checked to exist and (from sources) to be fresh. */
export function decodeWorkerPath(moduleUrl: string = import.meta.url): string {
  if (memo && moduleUrl === import.meta.url) return memo;
  const here = fileURLToPath(moduleUrl);
  const path = here.endsWith('.ts') ? fromSources(here) : fromBuild(here);
  if (moduleUrl === import.meta.url) memo = path;
  return path;
}

function fromBuild(here: string): string {
  const worker = join(dirname(here), WORKER);
  if (!existsSync(worker)) throw new Error(`dawnflow: ${worker} is missing; ${FIX}`);
  return worker;
}

function fromSources(here: string): string {
  const root = packageRoot(dirname(here));
  const worker = join(root, 'dist', relative(root, dirname(here)), WORKER);
  if (!existsSync(worker)) {
    throw new Error(`dawnflow: the decode worker ${relative(root, worker)} is not built; ${FIX}`);
  }
  checkFresh(root, worker);
  return worker;
}

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`dawnflow: no package.json above ${from}`);
  }
}

/**
 * Every compiled module the worker loads (its relative imports, followed through dist/) must be
 * newer than its .ts source. tsc rewrites every output on each build, so after `npm run build`
 * this holds; an edit since then makes it fail with the file to blame.
 */
function checkFresh(root: string, worker: string): void {
  const dist = join(root, 'dist');
  const seen = new Set<string>();
  const todo = [worker];
  while (todo.length) {
    const js = todo.pop()!;
    if (seen.has(js)) continue;
    seen.add(js);
    const src = join(root, relative(dist, js)).replace(/\.js$/, '.ts');
    if (!existsSync(js)) throw new Error(`dawnflow: ${relative(root, js)} is missing; ${FIX}`);
    if (existsSync(src) && statSync(src).mtimeMs > statSync(js).mtimeMs) {
      throw new Error(`dawnflow: ${relative(root, js)} is older than ${relative(root, src)}; ${FIX}`);
    }
    todo.push(...relativeImports(js));
  }
}

function relativeImports(js: string): string[] {
  const text = readFileSync(js, 'utf8');
  const specs = text.matchAll(/(?:from|import)\s*['"](\.\.?\/[^'"]+)['"]/g);
  return Array.from(specs, (m) => resolve(dirname(js), m[1]));
}
