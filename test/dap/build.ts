// Builds dist/adapter.js and dist/cli.js from the current sources (same esbuild options as
// scripts/build.mjs) so the DAP and CLI suites always exercise the real bundles, even when the
// other entry points of the full build are broken or missing.

import * as esbuild from 'esbuild';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ADAPTER_JS = path.join(ROOT, 'dist', 'adapter.js');
export const CLI_JS = path.join(ROOT, 'dist', 'cli.js');
export const EXAMPLES = path.join(ROOT, 'examples');

let built: Promise<void> | null = null;

export function buildBundles(): Promise<void> {
  built ??= (async () => {
    const common = { bundle: true, platform: 'node' as const, target: 'node18', format: 'cjs' as const, sourcemap: true, logLevel: 'error' as const, absWorkingDir: ROOT };
    await Promise.all([
      esbuild.build({ ...common, entryPoints: ['extension/adapter/main.ts'], outfile: ADAPTER_JS }),
      esbuild.build({ ...common, entryPoints: ['extension/cli/main.ts'], outfile: CLI_JS, banner: { js: '#!/usr/bin/env node' } }),
    ]);
  })();
  return built;
}
