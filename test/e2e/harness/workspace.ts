// Builds the throwaway workspace folder each end-to-end test opens in code-server: copies of examples/ programs
// (so tests that edit or run them never touch the repository) plus an optional .vscode/launch.json.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePath } from '../../examples/gallery';

export interface Workspace {
  dir: string;
  path(relative: string): string;
  read(relative: string): string;
}

export interface WorkspaceOptions {
  /** File names from examples/ to copy into the workspace root. */
  examples: string[];
  /** `configurations` for .vscode/launch.json. */
  launch?: Record<string, unknown>[];
  /** Other files to write into the workspace: relative path -> text (and mode, for scripts). */
  files?: Record<string, { text: string; mode?: number }>;
}

export function createWorkspace(opts: WorkspaceOptions): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'loopscope-e2e-ws-'));
  for (const name of opts.examples) copyFileSync(examplePath(name), join(dir, name));
  for (const [name, f] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), f.text, { mode: f.mode ?? 0o644 });
  if (opts.launch) {
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    writeFileSync(join(dir, '.vscode', 'launch.json'), JSON.stringify({ version: '0.2.0', configurations: opts.launch }, null, 2));
  }
  return {
    dir,
    path: (relative) => join(dir, relative),
    read: (relative) => readFileSync(join(dir, relative), 'utf8'),
  };
}
