import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  cacheDir: '../../node_modules/.vite/tools/workspace-checks',
  test: {
    name: '@trellis/workspace-checks',
    environment: 'node',
    include: ['tests/**/*.spec.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '../../test-output/vitest/tools-workspace-checks.json' },
    testTimeout: 60_000,
  },
});
