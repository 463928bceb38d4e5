import { defineConfig } from 'vitest/config';
import { GPU_POOL } from './vitest.config.js';

// `npm run test:faults`: the fault-injection suite (SIGKILL and resume, non-finite numerics,
// device loss, fuzzed files and command lines), with the default suite's pool settings.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    ...GPU_POOL,
  },
});
