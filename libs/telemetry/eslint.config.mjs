import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The fixtures stand in for deployed services: plain Node scripts (front is CommonJS) that
    // import the built packages by name, through the workspace's node_modules, as an app does.
    files: ['tests/fixtures/**'],
    languageOptions: {
      globals: { require: 'readonly', process: 'readonly', fetch: 'readonly' },
    },
    rules: {
      '@nx/enforce-module-boundaries': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
];
