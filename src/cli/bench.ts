// `dawnflow bench`: opens the device, runs the kernel suite, closes the device.
import type { DeviceOptions } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { runKernelBench } from '../../bench/run.js';
import { runE2e } from '../../bench/e2e.js';
import { runPipelineBench } from '../../bench/pipeline.js';
import { writeFileSync } from 'node:fs';
import { UsageError } from './args.js';

export async function bench(opts: DeviceOptions, flags: Record<string, unknown>): Promise<number> {
  const suite = (flags.suite as string | undefined) ?? 'kernels';
  if (!['kernels', 'e2e', 'pipeline', 'all'].includes(suite)) throw new UsageError(`--suite must be kernels, e2e, pipeline or all`);
  const data = flags.data as string | undefined;
  if (suite === 'pipeline' && !data) throw new UsageError('--suite pipeline needs --data DIR (a folder of class sub-folders)');
  return withEngine(opts, async (gpu) => {
    const report: Record<string, unknown> = {};
    if (suite === 'kernels' || suite === 'all') {
      report.kernels = await runKernelBench({ batch: flags.batch as number | undefined, repeat: flags.repeat as number | undefined });
    }
    if (suite === 'pipeline' || (suite === 'all' && data)) {
      const p = await runPipelineBench(data!, (flags.size as number | undefined) ?? 150, (flags.batch as number | undefined) ?? 20);
      console.log(`pipeline on ${data}: ${p.images} images, ${p.threads} decode threads: cold ${p.coldImagesPerSec.toFixed(1)} images/s, ` +
        `cached ${p.cachedImagesPerSec.toFixed(0)} images/s, with GPU augmentation ${p.augmentedGpuImagesPerSec.toFixed(1)} images/s`);
      report.pipeline = p;
    }
    if (suite === 'e2e' || suite === 'all') {
      const batch = (flags.batch as number | undefined) ?? (gpu.info.software ? 4 : 40);
      const e2e = await runE2e({ batch, size: (flags.size as number | undefined) ?? 150, repeat: (flags.repeat as number | undefined) ?? 2 });
      console.log(JSON.stringify(e2e, (k, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v), 2));
      report.e2e = e2e;
    }
    if (flags.json) writeFileSync(flags.json as string, JSON.stringify(report, null, 2));
    return 0;
  });
}
