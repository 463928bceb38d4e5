// The published package type-checks in a consumer's project with skipLibCheck off: builds dist/
// as `npm run build` does, then compiles test/consumer/app.mts (the public API in use: Sequential,
// compile, fit(x, y), evaluate, predict, save/load, callbacks) against dist/src/index.d.ts.
// Before index.d.ts referenced the DOM library (TypeScript 7's holds WebGPU's types), this
// reported "Cannot find name 'GPUBuffer'" and the like, 33 times.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

/** tsc's diagnostics for a project, '' when it compiles. */
function typeErrors(project: string): string {
  try {
    execFileSync(TSC, ['-p', project], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    const r = e as { stdout?: string; stderr?: string; message: string };
    return `${r.stdout ?? ''}${r.stderr ?? ''}` || r.message;
  }
}

test('a consumer project with skipLibCheck: false compiles against the built package', () => {
  expect(typeErrors('tsconfig.json')).toBe('');
  expect(typeErrors('test/consumer/tsconfig.json')).toBe('');
}, 180_000);

test('@webgpu/types (WebGPU types for an older TypeScript) is a dependency', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.dependencies['@webgpu/types']).toBeDefined();
  expect(pkg.devDependencies['@webgpu/types']).toBeUndefined();
});
