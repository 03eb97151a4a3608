// Bundles the four entry points with esbuild: extension host client, debug adapter,
// language server and CLI. `--watch` rebuilds on change for development.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'info',
};
const entries = [
  { entryPoints: ['extension/client/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['extension/adapter/main.ts'], outfile: 'dist/adapter.js' },
  { entryPoints: ['server/src/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['extension/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

mkdirSync('dist', { recursive: true });
// web-tree-sitter loads its runtime wasm next to the bundle; the grammar ships beside it.
copyFileSync('node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm');
copyFileSync('node_modules/tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm');

if (watch) {
  for (const e of entries) {
    const ctx = await esbuild.context({ ...common, ...e });
    await ctx.watch();
  }
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
