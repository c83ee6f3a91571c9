// Lint: typescript-eslint's recommended rules plus the project's own habits (no floating promises,
// no console in the shared core: logs go through shared/log).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // fixture .mjs files stand in for built bundles: plain JS outside the TypeScript project
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'test/runtime/fixtures/**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  { files: ['shared/**/*.ts'], ignores: ['shared/**/*.test.ts'], rules: { 'no-console': 'error' } },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // the secret audit's capture is preloaded as plain JavaScript into every process the tests start
  {
    files: ['test/support/secret-audit/capture.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false }, globals: { process: 'readonly', Buffer: 'readonly', URL: 'readonly', globalThis: 'readonly' } },
  },
);
