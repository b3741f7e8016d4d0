import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'test/artifacts/',
      'manifest/build/',
      '.lab/',
      '.tools/',
      'tools/powershell/obj/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: [
      'test/support/real-pwsh.ts',
      'src/**/cli.ts',
      'src/**/main.ts',
      'src/main.ts',
      'bench/**',
      'scripts/**',
      'src/lab/host/**',
    ],
    rules: { 'no-console': 'off' },
  },
);
