// `dawnflow bench`: the kernel suite at VGG16 shapes. Batch 4 on a software adapter, 40 on a GPU
// (or --batch). Prints a table and writes JSON (--json FILE).
import { currentGpu, dispatcher } from '../src/gpu/engine.js';
import { copyBandwidth, timeCase, type BenchCase, type BenchResult } from './harness.js';
import { convBackwardCases, convForwardCase, denseCase, maxPoolCase } from './kernels/cases.js';

export interface BenchOptions { batch?: number; repeat?: number }

export async function runKernelBench(o: BenchOptions): Promise<Record<string, unknown>> {
  const gpu = currentGpu();
  const batch = o.batch ?? (gpu.info.software ? 4 : 40);
  const repeat = o.repeat ?? 5;
  const copyGBs = await copyBandwidth();
  console.log(`adapter: ${gpu.info.description || gpu.info.device} (${gpu.info.software ? 'software' : 'hardware'})`);
  console.log(`batch ${batch}; device copy bandwidth ${copyGBs.toFixed(1)} GB/s (read+write)`);
  const cases: BenchCase[] = [
    convForwardCase(batch, 75, 64, 64),
    ...convBackwardCases(batch, 75, 64, 64),
    convForwardCase(batch, 150, 3, 64),
    maxPoolCase(batch, 150, 64),
    denseCase(batch, 8192, 256),
  ];
  const results: BenchResult[] = [];
  for (const c of cases) {
    const r = await timeCase(c, repeat);
    c.dispose();
    results.push(r);
    console.log(`${r.name.padEnd(24)} ${r.shape.padEnd(34)} median ${r.medianMs.toFixed(2).padStart(9)} ms` +
      `  min ${r.minMs.toFixed(2).padStart(9)} ms  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s` +
      `  ${r.gbps.toFixed(2).padStart(7)} GB/s (${((100 * r.gbps) / copyGBs).toFixed(0)}% of copy)  [${r.validated}]`);
  }
  const report = {
    date: new Date().toISOString(), adapter: gpu.info, batch, repeat, copyGBs,
    pipelines: dispatcher().pipelines.size, results,
  };
  return report;
}
