// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core logs through named loggers only.
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The dependency rule: the core imports nothing from the shell or the UI, and the UI only types.
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/main/**', '**/renderer/**', 'electron'] }] },
  },
  {
    // …except src/shared, which is dependency-free and runs in the browser as is.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '/src/(?!shared/)', allowTypeImports: true }] }] },
  },
  {
    // src/shared runs in the browser too: nothing but its own modules (no Node, no packages).
    files: ['src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./)', message: 'src/shared is dependency-free: the UI imports it as is.' }] }] },
  },
  {
    files: ['bin/**/*.js', '.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
