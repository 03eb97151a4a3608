// Bundles the entry points with esbuild: extension host client, debug adapter, language server
// and CLI. The one esbuild configuration of the project: the test harnesses call this script
// (`--only adapter,cli`, `--outdir DIR`) instead of repeating options. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const watch = process.argv.includes('--watch');
const outdir = path.resolve(ROOT, flag('--outdir') ?? 'dist');
const only = flag('--only')?.split(',');

// The version has one source, package.json; extension/protocol/version.ts reads this define.
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const common = {
  absWorkingDir: ROOT,
  define: { __LOOPSCOPE_VERSION__: JSON.stringify(version) },
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  logLevel: process.env.LOOPSCOPE_BUILD_QUIET ? 'error' : 'info',
};
const BUNDLES = {
  extension: { entryPoints: ['extension/client/extension.ts'], outfile: 'extension.js', external: ['vscode'] },
  adapter: { entryPoints: ['extension/adapter/main.ts'], outfile: 'adapter.js' },
  server: { entryPoints: ['server/src/main.ts'], outfile: 'server.js' },
  cli: { entryPoints: ['extension/cli/main.ts'], outfile: 'cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The Timeline webview's script runs in the browser sandbox of a webview, not in Node.
  timeline: { entryPoints: ['extension/webview/main.ts'], outfile: 'timeline.js', platform: 'browser', format: 'iife', target: 'es2020', sourcemap: false },
};
const unknown = (only ?? []).filter((n) => !(n in BUNDLES));
if (unknown.length) {
  console.error(`scripts/build.mjs: unknown bundle ${unknown.join(', ')} in --only (known: ${Object.keys(BUNDLES).join(', ')})`);
  process.exit(2);
}
const chosen = Object.entries(BUNDLES).filter(([name]) => !only || only.includes(name));
const options = chosen.map(([, b]) => ({ ...common, ...b, outfile: path.join(outdir, b.outfile) }));

mkdirSync(outdir, { recursive: true });
if (chosen.some(([name]) => name === 'server')) {
  // web-tree-sitter loads its runtime wasm next to the bundle; the grammar ships beside it.
  copyFileSync(path.join(ROOT, 'node_modules/web-tree-sitter/tree-sitter.wasm'), path.join(outdir, 'tree-sitter.wasm'));
  copyFileSync(path.join(ROOT, 'node_modules/tree-sitter-python/tree-sitter-python.wasm'), path.join(outdir, 'tree-sitter-python.wasm'));
}

if (watch) {
  for (const o of options) await (await esbuild.context(o)).watch();
} else {
  await Promise.all(options.map((o) => esbuild.build(o)));
}
