import { defineConfig } from 'vitest/config';

// Every GPU test file opens its own Dawn device; on a 2-core software adapter running files
// one after another is faster than contending for the cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
