// The command line of bench/jpeg_fidelity.ts (no GPU, so not a suite of `dawnflow bench`, which
// opens the device first):
//   node dist/bench/jpeg_fidelity_main.js --data DIR [--repeat 3] [--limit N]
//     [--results bench/RESULTS.md] [--json bench/results/jpeg-fidelity.json] [--python /usr/bin/python3]
// It prints the section it writes into RESULTS.md (the `jpeg` one; the others stay).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runJpegFidelity } from './jpeg_fidelity.js';
import { renderSections, writeResults, type BenchReport } from './results.js';

async function main(): Promise<number> {
  const { values: v } = parseArgs({
    options: {
      data: { type: 'string' },
      repeat: { type: 'string', default: '3' },
      limit: { type: 'string' },
      results: { type: 'string', default: 'bench/RESULTS.md' },
      json: { type: 'string', default: 'bench/results/jpeg-fidelity.json' },
      python: { type: 'string' },
    },
  });
  if (!v.data) {
    console.error('usage: jpeg_fidelity_main.js --data DIR [--repeat 3] [--limit N] [--results FILE.md] [--json FILE]');
    return 2;
  }
  const jpeg = await runJpegFidelity({
    data: v.data,
    repeat: Number(v.repeat),
    python: v.python,
    limit: v.limit ? Number(v.limit) : undefined,
  });
  const report: BenchReport = {
    tool: 'dawnflow bench/jpeg_fidelity',
    date: new Date().toISOString().slice(0, 10),
    command: `node ${process.argv
      .slice(1)
      .map((a) => a.replace(/^.*\/dist\//, 'dist/'))
      .join(' ')}`,
    node: process.version,
    adapter: { info: { description: 'none (CPU only)' }, features: [], limits: {} },
    jpeg,
  };
  mkdirSync(dirname(v.json), { recursive: true });
  writeFileSync(v.json, `${JSON.stringify(report, null, 2)}\n`);
  writeResults(v.results, report);
  console.log(renderSections(report, v.results).jpeg);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  },
);
