import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Module boundaries in two dimensions: `type:*` says what a project is, `scope:*` whose it is.
export const boundaries = {
  enforceBuildableLibDependency: true,
  banTransitiveDependencies: true,
  allow: [],
  depConstraints: [
    // The SDK imports nothing of ours: users install it alone.
    { sourceTag: 'scope:sdk', onlyDependOnLibsWithTags: [] },
    // Libraries never import apps or tools.
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
    {
      sourceTag: 'scope:shop',
      onlyDependOnLibsWithTags: ['scope:shop', 'scope:sdk', 'scope:platform'],
    },
    { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:sdk', 'scope:platform'] },
  ],
};

export default [
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/.nx', '**/test-output', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    plugins: { '@nx': nx },
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tool configs import the shared root config by path; they are not project code.
    files: ['**/eslint.config.mjs', '**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
];
