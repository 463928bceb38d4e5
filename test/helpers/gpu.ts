// Opens the engine for a test file and closes it after (Dawn keeps Node alive until then).
import { afterAll, beforeAll } from 'vitest';
import { init, shutdown } from '../../src/gpu/engine.js';

export function useGpu(): void {
  beforeAll(async () => {
    await init();
  });
  afterAll(async () => {
    await shutdown();
  });
}
