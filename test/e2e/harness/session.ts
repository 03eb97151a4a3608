// Mocha wiring for end-to-end tests: each test gets a fresh workspace, its own code-server and browser, and
// loses all of them afterwards — with a screenshot, the browser console and code-server's output saved under
// test-results/e2e/<test>/ when it fails.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installExtensionOnce, startCodeServer, type CodeServer } from './codeServer';
import { RESULTS_DIR, Workbench } from './workbench';
import { createWorkspace, type Workspace, type WorkspaceOptions } from './workspace';

export interface VsCode {
  ws: Workspace;
  server: CodeServer;
  wb: Workbench;
}

export interface VsCodeOptions extends WorkspaceOptions {
  settings?: Record<string, unknown>;
}

function artifactsName(title: string): string {
  return title.replace(/[^\w.-]+/g, '-').slice(0, 80);
}

/** Registers beforeEach/afterEach hooks; the returned getter is valid inside each test. */
export function useVsCode(opts: VsCodeOptions): () => VsCode {
  let current: VsCode | undefined;
  let server: CodeServer | undefined;
  let ws: Workspace | undefined;

  beforeEach(async function () {
    this.timeout(300_000); // the first test of a run also packages and installs the .vsix
    const title = this.currentTest?.fullTitle() ?? 'e2e';
    const { extensionsDir } = installExtensionOnce();
    ws = createWorkspace(opts);
    server = await startCodeServer(ws.dir, extensionsDir, opts.settings);
    const wb = await Workbench.open(server.url, title);
    current = { ws, server, wb };
  });

  afterEach(async function () {
    const test = this.currentTest;
    const failed = test?.state === 'failed' || test?.state === undefined;
    const dir = join(RESULTS_DIR, artifactsName(test?.fullTitle() ?? 'e2e'));
    try {
      if (failed && server) {
        mkdirSync(dir, { recursive: true });
        if (current) await current.wb.saveFailureArtifacts(server.log(), test?.err);
        else writeFileSync(join(dir, 'code-server.log'), server.log());
      }
    } finally {
      await current?.wb.close();
      await server?.stop();
      // Temp folders go with the test; a failed test's evidence is already under test-results/.
      if (ws) rmSync(ws.dir, { recursive: true, force: true });
      if (server) rmSync(server.userDataDir, { recursive: true, force: true });
      current = undefined;
      server = undefined;
      ws = undefined;
    }
  });

  return () => {
    if (!current) throw new Error('VS Code is not running (beforeEach failed?)');
    return current;
  };
}
