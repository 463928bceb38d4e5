// `dawnflow bench`: opens the device, runs the kernel suite, closes the device.
import type { DeviceOptions } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { runKernelBench } from '../../bench/run.js';

export async function bench(opts: DeviceOptions, flags: Record<string, unknown>): Promise<number> {
  return withEngine(opts, async () => {
    await runKernelBench({
      batch: flags.batch as number | undefined, repeat: flags.repeat as number | undefined,
      json: flags.json as string | undefined,
    });
    return 0;
  });
}
