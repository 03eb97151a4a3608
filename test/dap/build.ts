// Builds dist/adapter.js and dist/cli.js from the current sources through scripts/build.mjs
// (the project's one esbuild configuration) so the DAP and CLI suites always exercise the real
// bundles, even when the other entry points of the full build are broken or missing.

import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ADAPTER_JS = path.join(ROOT, 'dist', 'adapter.js');
export const CLI_JS = path.join(ROOT, 'dist', 'cli.js');
export const EXAMPLES = path.join(ROOT, 'examples');

let built: Promise<void> | null = null;

/** Runs scripts/build.mjs with `--only` the named bundles into `outdir` (relative to the root). */
export async function runBuild(bundles: string[], outdir = 'dist'): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--only', bundles.join(','), '--outdir', outdir], {
    cwd: ROOT, env: { ...process.env, LOOPSCOPE_BUILD_QUIET: '1' },
  });
}

export function buildBundles(): Promise<void> {
  built ??= runBuild(['adapter', 'cli']);
  return built;
}
