// Lint configuration (flat config): typescript-eslint's recommended rules for every
// TypeScript folder, plus the layering rule that keeps domain code free of editor APIs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'runtime/**', 'out/**', 'bench/results/**', 'test-results/**', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['extension/**/*.ts', 'server/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Tests and protocol shims legitimately need `require` for optional native modules.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Domain modules must not depend on VS Code, the DAP library or the LSP library
    // (the preamble's layering rule); only entry points and adapters wire those in.
    files: [
      'extension/model/**/*.ts', 'extension/protocol/**/*.ts', 'extension/views/**/*.ts', 'server/src/analysis/**/*.ts',
      // the adapter's domain objects and the CLI, which reuse them outside any editor
      'extension/adapter/{connection,inspector,launcher,stepper,target}.ts', 'extension/cli/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'domain modules must not import vscode' },
          { name: '@vscode/debugadapter', message: 'domain modules must not import the DAP library' },
          { name: 'vscode-languageserver', message: 'domain modules must not import the LSP library' },
        ],
      }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
