// Entry point of the Loopscope language server (`node dist/server.js --stdio`): creates the
// connection from the command-line transport flag and hands it to the LSP wiring.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lspServer';

const wasmDir = fs.existsSync(path.join(__dirname, 'tree-sitter-python.wasm')) ? __dirname : undefined;
const connection = createConnection(ProposedFeatures.all);
process.on('uncaughtException', (err) => connection.console.error(`[loopscope] unexpected error: ${err.stack ?? err}`));
startServer(connection, wasmDir);
