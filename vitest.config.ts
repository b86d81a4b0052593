import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['sfu-node/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'chain/src/**/*.test.ts', 'operator/src/**/*.test.ts', 'web/src/**/*.test.ts', 'web/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real mediasoup workers and browsers share 2 cores; files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
