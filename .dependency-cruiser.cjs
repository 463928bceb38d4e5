// The layer DAG of dawnflow, checked by `npm run lint:deps` (part of `npm test`). Lowest first:
//
//   src/gpu -> src/tensor -> src/kernels -> src/autograd -> src/ops -> src/nn -> src/io -> src/data
//     -> src/apps | src/report -> bench -> src/cli
//
// Each folder may import itself and the folders before it, never one after it (src/data may use
// src/io's downloader, not the reverse); src/apps and src/report sit side by side and import
// neither each other. src/util (which imports nothing else) and src/cpu (only src/util) are
// leaves that any folder may import. src/index.ts (the public API) may import any folder of src/
// but src/cli, and not bench/; nothing imports it. Cycles are forbidden everywhere, type-only
// imports included. There is no exceptions list: an import against the grain means moving the
// shared code down to the lowest layer that needs it.

/** Folders in import order; each entry may import those before it (and util, cpu). */
const LAYERS = [
  ['gpu'],
  ['tensor'],
  ['kernels'],
  ['autograd'],
  ['ops'],
  ['nn'],
  ['io'],
  ['data'],
  ['apps', 'report'],
  ['bench'],
  ['cli'],
];

const LEAVES = ['util', 'cpu'];

const dir = (name) => (name === 'bench' ? 'bench/' : `src/${name}/`);
const anyOf = (names) => `^(${names.map(dir).join('|')})`;

function layerRules() {
  const rules = [];
  LAYERS.forEach((group, i) => {
    const below = LAYERS.slice(0, i).flat();
    for (const name of group) {
      rules.push({
        name: `layer-${name}`,
        severity: 'error',
        comment:
          `${dir(name)} may import only ${[name, ...below, ...LEAVES].map(dir).join(', ')}: ` +
          'move the shared code down to the lowest layer that needs it',
        from: { path: `^${dir(name)}` },
        to: { path: '^(src|bench)/', pathNot: anyOf([name, ...below, ...LEAVES]) },
      });
    }
  });
  return rules;
}

const KNOWN = `^(${[...LAYERS.flat(), ...LEAVES].map(dir).join('|')}|src/index\\.ts$)`;

module.exports = {
  forbidden: [
    ...layerRules(),
    {
      name: 'known-folder',
      severity: 'error',
      comment: 'every module of src/ and bench/ belongs to a folder of LAYERS or LEAVES above: add a new folder there',
      from: { path: '^(src|bench)/', pathNot: KNOWN },
      to: {},
    },
    {
      name: 'leaf-util',
      severity: 'error',
      comment: 'src/util is a leaf: it may import only src/util',
      from: { path: '^src/util/' },
      to: { path: '^(src|bench)/', pathNot: '^src/util/' },
    },
    {
      name: 'leaf-cpu',
      severity: 'error',
      comment: 'src/cpu (the float64 reference) is a leaf: it may import only src/cpu and src/util',
      from: { path: '^src/cpu/' },
      to: { path: '^(src|bench)/', pathNot: '^src/(cpu|util)/' },
    },
    {
      name: 'public-api',
      severity: 'error',
      comment: 'src/index.ts re-exports the library: not the CLI, not the benchmarks',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^(src/cli/|bench/)' },
    },
    {
      name: 'no-import-of-index',
      severity: 'error',
      comment: 'src/index.ts is for users of the package; inside it, import the module itself',
      from: { path: '^(src|bench)/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a module may not reach itself through its imports (type-only imports count)',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import the checker cannot resolve would escape every rule above',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc parses the
    // .ts sources instead. It reports `import type` like any import, so types obey the layers.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
