// Owns the code-server process for end-to-end tests: packaging + installing the Loopscope .vsix once per run,
// starting code-server on a free loopback port with isolated user-data/extension dirs, and tearing the whole
// process group down (extension host, adapter, Python debuggee) even when a test fails.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const TOOLS_DIR = join(REPO_ROOT, '.tools', 'code-server');
const ENTRY = join(TOOLS_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const EXTENSION_ID = 'loopscope.loopscope';

/** Settings that keep the workbench quiet and deterministic: no welcome page, tips, trust prompt or chat. */
export const DEFAULT_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'window.autoDetectColorScheme': false,
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'remote.autoForwardPorts': false, // the runtime's loopback socket is not a web app to forward
  'git.openRepositoryInParentFolders': 'never',
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
  'editor.hover.enabled': false,
  'files.autoSave': 'off',
  'files.simpleDialog.enable': true,
  'debug.openDebug': 'openOnDebugBreak',
  'debug.internalConsoleOptions': 'neverOpen',
  'debug.showInStatusBar': 'never',
  'python.defaultInterpreterPath': 'python3',
};

function requireTools(): void {
  if (!existsSync(ENTRY)) {
    throw new Error(
      `code-server is not installed (${ENTRY} missing). Run \`bash scripts/setup-code-server.sh\` first.`,
    );
  }
  if (!existsSync('/usr/bin/chromium')) {
    throw new Error('/usr/bin/chromium is missing. Run `bash scripts/setup-code-server.sh` (installs Debian chromium).');
  }
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/**
 * The packaged extension, built with `npm run package` when missing or older than its sources — the tests
 * must exercise what a user would install, not the dev tree.
 */
export function ensureVsix(): string {
  if (process.env.LOOPSCOPE_E2E_VSIX) return process.env.LOOPSCOPE_E2E_VSIX; // harness development only
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const vsix = join(REPO_ROOT, `loopscope-${pkg.version}.vsix`);
  const sources = ['extension', 'server', 'runtime', 'package.json', 'scripts/build.mjs'].map((p) => join(REPO_ROOT, p));
  const stale = !existsSync(vsix) || sources.some((s) => newestMtime(s) > statSync(vsix).mtimeMs);
  if (stale && process.env.LOOPSCOPE_E2E_NO_PACKAGE !== '1') {
    // Quiet on success; on failure the error carries npm's output.
    try {
      execFileSync('npm', ['run', 'package', '--silent'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`npm run package failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  }
  if (!existsSync(vsix)) throw new Error(`${vsix} was not produced by \`npm run package\``);
  return vsix;
}

let installed: { extensionsDir: string; vsix: string } | undefined;

/** Installs the .vsix into a fresh extensions dir once per mocha process; later calls reuse it. */
export function installExtensionOnce(): { extensionsDir: string; vsix: string } {
  if (installed) return installed;
  requireTools();
  const vsix = ensureVsix();
  const extensionsDir = mkdtempSync(join(tmpdir(), 'loopscope-e2e-ext-'));
  execFileSync(process.execPath, [ENTRY, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  const dirs = readdirSync(extensionsDir).filter((d) => d.startsWith(`${EXTENSION_ID}-`));
  if (dirs.length !== 1) {
    throw new Error(`installing ${vsix} did not produce ${EXTENSION_ID}-* in ${extensionsDir} (found: ${readdirSync(extensionsDir).join(', ')})`);
  }
  installed = { extensionsDir, vsix };
  process.once('exit', () => rmSync(extensionsDir, { recursive: true, force: true }));
  return installed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  url: string;
  /** code-server's pid, also its process group's id (the extension host, adapter and debuggee are in it). */
  pid: number;
  userDataDir: string;
  /** Everything code-server printed so far (for failure reports). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts code-server on `folder`; resolves once it reports listening, rejects if it exits first. */
export async function startCodeServer(
  folder: string,
  extensionsDir: string,
  settings: Record<string, unknown> = {},
): Promise<CodeServer> {
  requireTools();
  const userDataDir = mkdtempSync(join(tmpdir(), 'loopscope-e2e-user-'));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...settings }, null, 2),
  );
  const port = await freePort();
  const args = [
    ENTRY,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--extensions-dir', extensionsDir,
    '--user-data-dir', userDataDir,
    folder,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.VSCODE_IPC_HOOK_CLI; // never talk to an outer VS Code
  // detached → own process group, so stop() reaches the extension host, adapter and debuggee too.
  const child: ChildProcess = spawn(process.execPath, args, { cwd: folder, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/HTTP server listening on/.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`code-server exited early (code ${code}):\n${output}`)));
  });

  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid ?? -1,
    userDataDir,
    log: () => output,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.pid === undefined) return;
      const pid = child.pid;
      const kill = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-pid, sig);
        } catch {
          /* group already gone */
        }
      };
      kill('SIGTERM');
      // Escalate if the group ignores SIGTERM; the timer is a deadline, not synchronisation.
      const timer = setTimeout(() => kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      kill('SIGKILL'); // stragglers (debuggee) that outlived their parent
    },
  };
}
