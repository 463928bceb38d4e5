// Opens the engine for a test file and closes it after (Dawn keeps Node alive until then).
import { afterAll, beforeAll } from 'vitest';
import type { Gpu } from '../../src/gpu/device.js';
import { init, shutdown } from '../../src/gpu/engine.js';

export function useGpu(): void {
  beforeAll(async () => {
    await init();
  });
  afterAll(async () => {
    await shutdown();
  });
}

/**
 * As useGpu(), but opens the engine at once, while vitest collects the file (call it with a
 * top-level await): for files whose `test.skipIf` conditions read the adapter (features,
 * subgroup sizes, limits), which are known only once a device is open. The beforeAll of a
 * useGpu() would come too late for them: skipIf is evaluated when the test is declared.
 */
export async function openGpu(): Promise<Gpu> {
  const gpu = await init();
  afterAll(async () => {
    await shutdown();
  });
  return gpu;
}
