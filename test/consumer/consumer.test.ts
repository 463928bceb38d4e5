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

/** The text of a file from its first `import {` line on: what a doc's code block shows. */
function exampleBody(file: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return text.slice(text.indexOf('import {'));
}

/** Every ```ts block of a markdown file, each ending in a newline. */
function tsBlocks(file: string): string[] {
  const md = readFileSync(join(ROOT, file), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

// The examples of docs/library.md and README.md are these type-checked files (the test above),
// so a renamed option or export fails here instead of rotting in the docs.
test('the examples in docs/library.md and README.md are the type-checked files', () => {
  expect(tsBlocks('docs/library.md')).toContain(exampleBody('test/consumer/library_example.mts'));
  expect(tsBlocks('README.md')).toContain(exampleBody('test/consumer/readme_example.mts'));
});

test('docs/library.md names every export of src/index.ts', () => {
  const index = readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8');
  const md = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');
  const names: string[] = [];
  for (const [, list] of index.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of list.split(',')) {
      const name = item
        .trim()
        .replace(/^type /, '')
        .split(' as ')
        .at(-1)
        ?.trim();
      if (name) names.push(name);
    }
  }
  for (const [, from] of index.matchAll(/export \* from '\.\/(.*)\.js'/g)) {
    const src = readFileSync(join(ROOT, 'src', `${from}.ts`), 'utf8');
    for (const [, name] of src.matchAll(/^export (?:const|function|type|class|interface) (\w+)/gm)) names.push(name);
  }
  expect(names.length).toBeGreaterThan(100);
  expect(names.filter((n) => !md.includes(`\`${n}`))).toEqual([]);
});

test('@webgpu/types (WebGPU types for an older TypeScript) is a dependency', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.dependencies['@webgpu/types']).toBeDefined();
  expect(pkg.devDependencies['@webgpu/types']).toBeUndefined();
});
