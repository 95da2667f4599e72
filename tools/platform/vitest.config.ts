import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  cacheDir: '../../node_modules/.vite/tools/platform',
  resolve: { conditions: ['@trellis/source'] },
  test: {
    name: '@trellis/platform',
    environment: 'node',
    // The tests start the whole shop as real processes on two cores: nothing else runs beside them.
    fileParallelism: false,
    include: ['src/**/*.spec.ts', 'tests/**/*.spec.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '../../test-output/vitest/tools-platform.json' },
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
