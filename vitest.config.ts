import { configDefaults, defineConfig } from 'vitest/config';

// Every GPU test file opens its own Dawn device; on a 2-core software adapter running files
// one after another is faster than contending for the cores. The fault-injection suite
// (test/faults: kills, device loss, fuzzing) runs on its own: `npm run test:faults`.
export const GPU_POOL = {
  pool: 'forks',
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 60_000,
  // A tuning cache left by `dawnflow tune` on this machine must not change which kernels the
  // tests' default paths take (the tuning tests point DAWNFLOW_CACHE_DIR at a temp folder).
  env: { DAWNFLOW_TUNING: 'off' },
} as const;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    ...GPU_POOL,
  },
});
