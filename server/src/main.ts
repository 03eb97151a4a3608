// Entry point of the Loopscope language server. `node dist/server.js --stdio` speaks LSP (the
// connection comes from the transport flag); `node dist/server.js --check <folder>... [--json]` checks
// folders once and prints the findings (exit code 1 when there are any), for CI and benchmarks.
// `--help`, or no transport, prints usage instead of starting.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { Analyzer } from './analysis/analyzer';
import { parseCommandLine, USAGE } from './commandLine';
import { LspServer } from './lspServer';

const wasmDir = fs.existsSync(path.join(__dirname, 'tree-sitter-python.wasm')) ? __dirname : undefined;
const command = parseCommandLine(process.argv.slice(2), typeof process.send === 'function');

switch (command.kind) {
  case 'help':
    process.stdout.write(USAGE);
    break;
  case 'usage-error':
    process.stderr.write(`loopscope server: ${command.message}\n\n${USAGE}`);
    process.exitCode = 2;
    break;
  case 'check':
    void runCheck(command.folders, command.json);
    break;
  case 'lsp': {
    const connection = createConnection(ProposedFeatures.all);
    process.on('uncaughtException', (err) => connection.console.error(`[loopscope] unexpected error: ${err.stack ?? String(err)}`));
    const server = new LspServer(connection, { wasmDir });
    server.listen();
    // After listen(), so the library's reader is attached first and sees every chunk.
    if (command.transport === 'stdio') process.stdin.on('data', (chunk: Buffer) => server.noteInput(chunk));
    break;
  }
}

async function runCheck(folders: string[], json: boolean): Promise<void> {
  const bad = folders.find((f) => !fs.existsSync(f) || !fs.statSync(f).isDirectory());
  if (!folders.length || bad !== undefined) {
    console.error(`loopscope: --check needs existing folders (${bad === undefined ? 'none given' : `not a folder: ${bad}`})`);
    process.exit(2);
  }
  const analyzer = await Analyzer.create({ wasmDir });
  const { results, skipped } = await analyzer.checkFolder(folders.map((f) => path.resolve(f)));
  const rows = results.flatMap((r) =>
    r.findings.map((f) => {
      const before = r.text.slice(0, f.start);
      const line = before.split('\n').length;
      const column = f.start - before.lastIndexOf('\n');
      return { file: r.path, line, column, code: f.code, message: f.message };
    }),
  );
  if (json) {
    console.log(JSON.stringify({ files: results.length, skipped, findings: rows }, null, 2));
  } else {
    for (const r of rows) console.log(`${r.file}:${r.line}:${r.column}: ${r.code} ${r.message}`);
    for (const s of skipped) console.error(`skipped ${s.path}: ${s.reason}`);
    console.error(`${rows.length} finding(s) in ${results.length} file(s)`);
  }
  process.exitCode = rows.length ? 1 : 0;
}
