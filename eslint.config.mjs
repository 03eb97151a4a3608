// Lint configuration (flat config): typescript-eslint's recommended rules for every
// TypeScript folder, plus the layering rule that keeps domain code free of editor APIs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TS_FILES = ['extension/**/*.ts', 'server/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'];

/** The domain folders: plain code, testable without an editor, a debug session or an LSP connection. */
export const DOMAIN_FILES = [
  'extension/model/**/*.ts', 'extension/protocol/**/*.ts', 'extension/views/**/*.ts',
  // the debugging core (shared by the DAP session and the CLI) and the CLI itself
  'extension/core/**/*.ts', 'extension/cli/**/*.ts',
  'server/src/analysis/**/*.ts',
];
const LIBRARIES = [
  { name: 'vscode', what: 'the VS Code API' },
  { name: '@vscode/debugadapter', what: 'the DAP library' },
  { name: 'vscode-languageserver', what: 'the LSP server library' },
  { name: 'vscode-languageclient', what: 'the LSP client library' },
];
const FORBIDDEN_IN_DOMAIN = LIBRARIES.map(({ name, what }) => ({
  group: [name, `${name}/*`, `${name}/**`],
  message: `domain modules must not import ${what} (${name} or its subpaths); move the code that needs it to an entry point or an editor-facing module`,
}));
const FORBIDDEN_REQUIRES = LIBRARIES.map(({ name, what }) => ({
  selector: `CallExpression[callee.name='require'][arguments.0.value=/^${name.replace(/[/@.-]/g, (c) => '\\' + c)}($|\\/)/]`,
  message: `domain modules must not require ${what} (${name} or its subpaths)`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'runtime/**', 'out/**', 'bench/results/**', 'test-results/**', '**/*.vsix'] },
  js.configs.recommended,
  // Type-aware rules (floating and misused promises, unsafe any, unbound methods…) over every
  // TypeScript folder, with the project's own tsconfig.
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: TS_FILES })),
  {
    files: TS_FILES,
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Tests and protocol shims legitimately need `require` for optional native modules.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Functions under about 80 lines in the product code (tests' describe blocks are exempt).
    files: ['extension/**/*.ts', 'server/**/*.ts', 'scripts/**/*.mjs'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The debug session overrides LoggingDebugSession's handlers with async ones: the library
    // ignores their return value, and each handler answers through `answer()`, which catches.
    files: ['extension/adapter/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { inheritedMethods: false } }] },
  },
  {
    // d3's behaviours are called through `selection.call(zoom.translateBy, …)`: plain functions.
    files: ['extension/webview/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Tests destructure helper objects (`const { tree, push } = setup()`); their methods are arrows.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Domain modules must not depend on VS Code, the DAP library or the LSP libraries, by any
    // import path (`vscode-languageserver/node`, `@vscode/debugadapter/lib/...` included), by
    // `import`, `import type`, `import x = require()` or a bare `require()` call. Entry points and
    // the editor-facing folders (extension/client, extension/adapter, server/src outside analysis)
    // wire those libraries in. test/unit/layers.test.ts plants each forbidden import in each folder.
    files: DOMAIN_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: FORBIDDEN_IN_DOMAIN }],
      'no-restricted-syntax': ['error', ...FORBIDDEN_REQUIRES],
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
