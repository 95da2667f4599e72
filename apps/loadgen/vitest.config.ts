import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: __dirname,
  cacheDir: '../../node_modules/.vite/apps/loadgen',
  resolve: { conditions: ['@trellis/source'] },
  test: {
    name: '@trellis/loadgen',
    environment: 'node',
    // Files run one at a time: they start real servers and assert on real timing with two cores.
    fileParallelism: false,
    include: ['src/**/*.spec.ts', 'tests/**/*.spec.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '../../test-output/vitest/apps-loadgen.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
