// The server in a real LSP client that is not VS Code: Neovim's own (`vim.lsp.start_client`, 0.7+)
// starts it over stdio from `nvim --headless --clean`, opens a file with a forgotten await and a
// clean one, edits, takes the quick fix from the code action menu. Every diagnostic, notification,
// `:messages` line, LSP-log warning and server request it saw is written to JSON and checked here.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClientCapabilities, CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { buildServer } from './lspClient';

const NVIM = process.env.LOOPSCOPE_NVIM ?? 'nvim';
/** Longest wait for one step inside Neovim (vim.wait on a condition); the whole run is bounded too. */
const STEP_TIMEOUT_MS = 20000;
const RUN_TIMEOUT_MS = 90000;

const FORGOTTEN_AWAIT = [
  'import asyncio',
  '',
  '',
  'async def fetch() -> int:',
  '    await asyncio.sleep(0)',
  '    return 1',
  '',
  '',
  'async def main() -> None:',
  '    fetch()',
  '',
].join('\n');
/** Non-ASCII before the call: LSP counts UTF-16 units (19), Neovim's columns are bytes (22). */
const WIDE = 'async def fetch() -> int:\n    return 1\n\n\nasync def main() -> None:\n    print("🎉 é"); fetch()\n';
const WIDE_RANGE = { start: { line: 5, character: 19 }, end: { line: 5, character: 26 } };
const CLEAN = 'import asyncio\n\n\nasync def main() -> None:\n    await asyncio.sleep(0)\n';
/** `fetch()` on line 10 (0-based 9), as the server reports it. */
const FINDING_RANGE = { start: { line: 9, character: 4 }, end: { line: 9, character: 11 } };

/** The Lua init Neovim runs; it reads its inputs from the JSON file named by LOOPSCOPE_NVIM_PARAMS. */
const INIT_LUA = String.raw`
-- Drives the Loopscope server from Neovim's own LSP client and writes what happened to JSON.
local params = vim.fn.json_decode(table.concat(vim.fn.readfile(vim.env.LOOPSCOPE_NVIM_PARAMS), '\n'))
local result = { steps = {}, published = {}, notifications = {}, server_methods = {} }

vim.notify = function(message, level)
  table.insert(result.notifications, { message = tostring(message), level = level or vim.log.levels.INFO })
end
vim.lsp.set_log_level('warn')
result.log_path = vim.lsp.get_log_path()

local function wait_for(what, condition)
  if not vim.wait(params.timeout_ms, condition, 10) then
    error('timed out after ' .. params.timeout_ms .. ' ms waiting for ' .. what, 0)
  end
end

local function latest_publish(uri)
  for i = #result.published, 1, -1 do
    if result.published[i].uri == uri then return result.published[i] end
  end
end

-- The diagnostics published for the buffer's current version (didOpen sends version 0).
local function diagnostics_now(bufnr, what)
  local uri = vim.uri_from_bufnr(bufnr)
  wait_for(what, function()
    local version = vim.lsp.util.buf_versions[bufnr]
    local publish = latest_publish(uri)
    return version ~= nil and publish ~= nil and publish.version == version
  end)
  return latest_publish(uri).diagnostics
end

-- What Neovim holds for the buffer (vim.diagnostic), as a user sees it.
local function shown(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message, source = d.source, code = d.code, severity = d.severity })
  end
  return out
end

-- Handlers for what the test reads; any other method the server sends is recorded, then handled
-- by Neovim's default handler (the lookup falls through to vim.lsp.handlers).
local function recording_handlers()
  local handlers = {
    ['textDocument/publishDiagnostics'] = function(err, res, ctx, config)
      table.insert(result.published, { uri = res.uri, version = res.version, diagnostics = res.diagnostics })
      return vim.lsp.handlers['textDocument/publishDiagnostics'](err, res, ctx, config)
    end,
    ['loopscope/indexed'] = function(_, res) result.indexed = res end,
  }
  return setmetatable(handlers, { __index = function(_, method)
    if not vim.tbl_contains(result.server_methods, method) then table.insert(result.server_methods, method) end
  end })
end

local function start_server()
  result.client_capabilities = vim.lsp.protocol.make_client_capabilities()
  local id = vim.lsp.start_client({
    name = 'loopscope',
    cmd = { params.node, params.server, '--stdio' },
    root_dir = params.workspace,
    capabilities = result.client_capabilities,
    -- As nvim-lspconfig does: settings pushed once initialized (0.7 answers no workspace/configuration).
    settings = params.settings,
    on_init = function(client) client.notify('workspace/didChangeConfiguration', { settings = client.config.settings }) end,
    handlers = recording_handlers(),
    on_exit = function(code, signal) result.exit = { code = code, signal = signal } end,
  })
  if not id then error('vim.lsp.start_client did not start the server', 0) end
  return id
end

local function open(path, client_id)
  vim.cmd('silent edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  if not vim.lsp.buf_attach_client(bufnr, client_id) then error('could not attach to ' .. path, 0) end
  return bufnr
end

-- The quick fix as a user gets it: the cursor at column 0 of the finding's line (in the
-- indentation, before the call), vim.lsp.buf.code_action(), and the menu (vim.ui.select, which
-- records what it offered) answered with the preferred action, which Neovim then applies.
local function fix_from_menu(bufnr, line)
  local offered
  vim.ui.select = function(items, _, on_choice)
    offered = vim.tbl_map(function(item) return item[2] end, items)
    local preferred = vim.tbl_filter(function(item) return item[2].isPreferred == true end, items)
    on_choice(preferred[1])
  end
  vim.api.nvim_set_current_buf(bufnr)
  vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
  local version = vim.lsp.util.buf_versions[bufnr]
  local notified = #result.notifications
  vim.lsp.buf.code_action()
  -- With no action Neovim notifies 'No code actions available' instead of showing the menu.
  wait_for('the code action menu', function() return offered ~= nil or #result.notifications > notified end)
  local step = { actions = offered or {} }
  if vim.lsp.util.buf_versions[bufnr] ~= version then
    step.diagnostics = diagnostics_now(bufnr, 'diagnostics after the quick fix')
  end
  step.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n')
  return step
end

-- Types await, deletes it again, then takes the quick fix from the menu.
local function edit_and_fix(bufnr, finding)
  local at = finding.range.start
  vim.api.nvim_buf_set_text(bufnr, at.line, at.character, at.line, at.character, { 'await ' })
  result.steps.awaited = { diagnostics = diagnostics_now(bufnr, 'diagnostics after typing await') }
  vim.api.nvim_buf_set_text(bufnr, at.line, at.character, at.line, at.character + #'await ', { '' })
  result.steps.unawaited = { diagnostics = diagnostics_now(bufnr, 'diagnostics after deleting await') }
  result.steps.fixed = fix_from_menu(bufnr, at.line)
end

local function exercise(client_id)
  local clean = open(params.clean, client_id)
  result.steps.clean = { diagnostics = diagnostics_now(clean, 'diagnostics of the clean file') }
  local bufnr = open(params.forgotten, client_id)
  local found = diagnostics_now(bufnr, 'diagnostics of the forgotten await')
  result.steps.opened = { diagnostics = found, shown = shown(bufnr) }
  wait_for('loopscope/indexed', function() return result.indexed ~= nil end)
  if found[1] then edit_and_fix(bufnr, found[1]) end
  local wide = open(params.wide, client_id)
  local wide_found = diagnostics_now(wide, 'diagnostics of the non-ASCII line')
  result.steps.wide = { diagnostics = wide_found, shown = shown(wide) }
  if wide_found[1] then result.steps.wide_fixed = fix_from_menu(wide, wide_found[1].range.start.line) end
end

-- Shutdown and exit, then every callback Neovim scheduled meanwhile (its exit warnings among them).
local function stop(client_id)
  vim.lsp.stop_client(client_id)
  wait_for('the server to exit', function() return result.exit ~= nil end)
  local flushed = false
  vim.schedule(function() flushed = true end)
  wait_for('scheduled callbacks', function() return flushed end)
end

local client_id
local ok, err = xpcall(function()
  client_id = start_server()
  exercise(client_id)
end, debug.traceback)
if not ok then result.error = err end
if client_id then
  local stopped, stop_err = pcall(stop, client_id)
  if not stopped then result.error = (result.error or '') .. '\n' .. tostring(stop_err) end
end
result.messages = vim.api.nvim_exec('messages', true)
result.errmsg = vim.v.errmsg
result.log = vim.fn.filereadable(result.log_path) == 1 and vim.fn.readfile(result.log_path) or {}
vim.fn.writefile({ vim.fn.json_encode(result) }, params.result)
vim.cmd('qa!')
`;

interface Step {
  diagnostics: Diagnostic[];
}
/** A quick fix taken from vim.lsp.buf.code_action's menu; diagnostics only when it edited. */
interface MenuFix {
  actions: CodeAction[];
  diagnostics?: Diagnostic[];
  text: string;
}
interface ShownDiagnostic {
  lnum: number;
  col: number;
  end_lnum: number;
  end_col: number;
  message: string;
  source: string;
  code: string;
  severity: number;
}
interface NeovimResult {
  error?: string;
  steps: {
    clean?: Step;
    opened?: Step & { shown: ShownDiagnostic[] };
    wide?: Step & { shown: ShownDiagnostic[] };
    awaited?: Step;
    unawaited?: Step;
    fixed?: MenuFix;
    wide_fixed?: MenuFix;
  };
  indexed?: { files: number; skipped: number };
  /** What Neovim advertised in initialize. */
  client_capabilities: ClientCapabilities;
  /** Methods the server sent besides publishDiagnostics and loopscope/indexed. */
  server_methods: string[];
  exit?: { code: number; signal: number };
  notifications: { message: string; level: number }[];
  messages: string;
  errmsg: string;
  log: string[];
  log_path: string;
}

/** Fails (never skips) without Neovim: CI installs it, and a silent skip would hide the check. */
function requireNeovim(): void {
  const probe = spawnSync(NVIM, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail(`Neovim (${NVIM}) is not installed, so the server cannot be checked in a real non-VS Code client. ` +
      'Install it with `apt-get install -y --no-install-recommends neovim` (.ci/run does), or point LOOPSCOPE_NVIM at an nvim 0.7+.');
  }
}

/** A temp folder with the workspace, isolated XDG folders for Neovim, the Lua init and its params. */
function prepare(server: string): { root: string; env: NodeJS.ProcessEnv; resultFile: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-nvim-'));
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'forgotten.py'), FORGOTTEN_AWAIT);
  fs.writeFileSync(path.join(workspace, 'clean.py'), CLEAN);
  fs.writeFileSync(path.join(workspace, 'wide.py'), WIDE);
  const resultFile = path.join(root, 'result.json');
  const params = {
    node: process.execPath,
    server,
    workspace,
    forgotten: path.join(workspace, 'forgotten.py'),
    clean: path.join(workspace, 'clean.py'),
    wide: path.join(workspace, 'wide.py'),
    result: resultFile,
    // Not the default severity, so the diagnostics show that the settings arrived.
    settings: { loopscope: { rules: { 'never-awaited': { severity: 'error' } } } },
    timeout_ms: STEP_TIMEOUT_MS,
  };
  fs.writeFileSync(path.join(root, 'params.json'), JSON.stringify(params));
  const init = path.join(root, 'init.lua');
  fs.writeFileSync(init, INIT_LUA);
  const xdg = (name: string) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    return dir;
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOOPSCOPE_NVIM_PARAMS: path.join(root, 'params.json'),
    LOOPSCOPE_NVIM_INIT: init,
    XDG_CONFIG_HOME: xdg('config'),
    XDG_DATA_HOME: xdg('data'),
    XDG_STATE_HOME: xdg('state'),
    XDG_CACHE_HOME: xdg('cache'),
    NVIM_LOG_FILE: path.join(root, 'nvim.log'),
  };
  return { root, env, resultFile };
}

/** Runs Neovim to its `qa!`; resolves with what its init wrote and what it printed to stderr. */
async function runNeovim(server: string): Promise<{ root: string; result: NeovimResult; stderr: string }> {
  const { root, env, resultFile } = prepare(server);
  const proc = spawn(NVIM, ['--headless', '--clean', '-c', 'lua dofile(vim.env.LOOPSCOPE_NVIM_INIT)'], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += String(d)));
  proc.stdout.on('data', (d) => (stderr += String(d)));
  const guard = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const status = await new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  clearTimeout(guard);
  assert.ok(fs.existsSync(resultFile), `Neovim (exit ${String(status)}) wrote no result; its output:\n${stderr}`);
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as NeovimResult;
  return { root, result, stderr };
}

/** Server-to-client requests, each with the client capability that allows it. */
const GATED_REQUESTS: Record<string, (caps: ClientCapabilities) => boolean> = {
  'workspace/configuration': (c) => c.workspace?.configuration === true,
  'workspace/workspaceFolders': (c) => c.workspace?.workspaceFolders === true,
  'workspace/applyEdit': (c) => c.workspace?.applyEdit === true,
  'window/workDoneProgress/create': (c) => c.window?.workDoneProgress === true,
  'window/showDocument': (c) => c.window?.showDocument?.support === true,
  'client/registerCapability': (c) => JSON.stringify(c).includes('"dynamicRegistration":true'),
  'client/unregisterCapability': (c) => JSON.stringify(c).includes('"dynamicRegistration":true'),
  'workspace/semanticTokens/refresh': (c) => c.workspace?.semanticTokens?.refreshSupport === true,
  'workspace/codeLens/refresh': (c) => c.workspace?.codeLens?.refreshSupport === true,
  'workspace/inlayHint/refresh': (c) => c.workspace?.inlayHint?.refreshSupport === true,
  'workspace/inlineValue/refresh': (c) => c.workspace?.inlineValue?.refreshSupport === true,
  'workspace/diagnostic/refresh': (c) => c.workspace?.diagnostics?.refreshSupport === true,
};

/** The methods the server sent although the client's capabilities did not allow them. */
function unadvertised(methods: string[], caps: ClientCapabilities): string[] {
  return methods.filter((m) => GATED_REQUESTS[m] !== undefined && !GATED_REQUESTS[m](caps));
}

/** The LSP log's entries besides its start line: at level `warn` each is a warning or an error
 * (a multi-line entry, such as server stderr, counts line by line). */
function logProblems(log: string[]): string[] {
  return log.filter((line) => line.trim() !== '' && !/^\[START\]/.test(line));
}

describe('the server in Neovim (nvim --headless, its own LSP client over stdio)', function () {
  this.timeout(RUN_TIMEOUT_MS + 60000);
  let result: NeovimResult;
  let stderr: string;
  let root: string | undefined;

  before(async () => {
    requireNeovim();
    ({ root, result, stderr } = await runNeovim(await buildServer()));
    assert.equal(result.error, undefined, `the Neovim script failed: ${result.error}\n${JSON.stringify(result, null, 2)}`);
  });

  after(function () {
    // Kept when anything failed: it holds the workspace, the init, the result and Neovim's logs.
    const passed = this.test?.parent?.tests.every((t) => t.state === 'passed') ?? false;
    if (root && passed) fs.rmSync(root, { recursive: true, force: true });
    else if (root) console.log(`Neovim run kept in ${root}`);
  });

  it('shows the forgotten await with its exact range and configured severity, and nothing for the clean file', () => {
    assert.deepEqual(result.steps.clean?.diagnostics, []);
    const found = result.steps.opened?.diagnostics.map((d) => ({ range: d.range, source: d.source, code: d.code, severity: d.severity }));
    assert.deepEqual(found, [{ range: FINDING_RANGE, source: 'loopscope', code: 'never-awaited', severity: 1 }]);
    assert.match(result.steps.opened?.diagnostics[0].message ?? '', /fetch\(\)/);
    const shown = result.steps.opened?.shown.map((d) => [d.lnum, d.col, d.end_lnum, d.end_col, d.code, d.source, d.severity]);
    assert.deepEqual(shown, [[9, 4, 9, 11, 'never-awaited', 'loopscope', 1]]);
    // Files already open when indexing reaches them are not counted, so only the skips are fixed.
    assert.equal(result.indexed?.skipped, 0);
  });

  it('counts columns in UTF-16 as Neovim expects, so the mark lands on the call after non-ASCII text', () => {
    assert.deepEqual(result.steps.wide?.diagnostics.map((d) => d.range), [WIDE_RANGE]);
    assert.deepEqual(result.steps.wide?.shown.map((d) => [d.lnum, d.col, d.end_col]), [[5, 22, 29]]);
  });

  it('follows incremental edits: typing await clears the finding, deleting it brings it back', () => {
    assert.deepEqual(result.steps.awaited?.diagnostics, []);
    assert.deepEqual(result.steps.unawaited?.diagnostics.map((d) => [d.range, d.code]), [[FINDING_RANGE, 'never-awaited']]);
  });

  it('offers the quick fix from the code action menu with the cursor at column 0, and Neovim applies it', () => {
    const fixed = result.steps.fixed;
    assert.deepEqual(fixed?.actions.map((a) => [a.title, a.kind, a.isPreferred === true]), [
      ['Add `await`', 'quickfix', true],
      ['Ignore `never-awaited` on this line', 'quickfix', false],
    ]);
    assert.deepEqual(fixed?.diagnostics, []);
    assert.equal(fixed?.text, FORGOTTEN_AWAIT.replace('    fetch()', '    await fetch()').replace(/\n$/, ''));
  });

  it('applies the quick fix after non-ASCII text at the right columns', () => {
    assert.deepEqual(result.steps.wide_fixed?.diagnostics, []);
    assert.equal(result.steps.wide_fixed?.text, WIDE.replace('; fetch()', '; await fetch()').replace(/\n$/, ''));
  });

  it('sends nothing the client did not advertise (configuration pull, registration, progress)', () => {
    assert.deepEqual(unadvertised(result.server_methods, result.client_capabilities), [], `server sent: ${result.server_methods.join(', ')}`);
  });

  it('leaves no warning or error in notifications, :messages, the LSP log or stderr', () => {
    assert.deepEqual(result.notifications, []);
    assert.equal(result.messages.trim(), '');
    assert.equal(result.errmsg, '');
    assert.deepEqual(logProblems(result.log), [], `LSP log ${result.log_path}`);
    assert.equal(stderr.trim(), '');
    assert.deepEqual(result.exit, { code: 0, signal: 0 });
  });
});
