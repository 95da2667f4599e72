import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  cacheDir: '../../node_modules/.vite/tools/bench',
  resolve: { conditions: ['@trellis/source'] },
  test: {
    name: '@trellis/bench',
    environment: 'node',
    // The smoke run starts real servers and proxies on two cores: nothing else runs beside it.
    fileParallelism: false,
    include: ['src/**/*.spec.ts', 'tests/**/*.spec.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '../../test-output/vitest/tools-bench.json' },
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
