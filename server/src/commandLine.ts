// Owns the server's command line: which transport to speak LSP over (the flags the LSP library
// reads itself: --stdio, --node-ipc, --socket=N, --pipe=NAME), the one-shot `--check` mode, and
// usage for --help or a missing transport, so a bad invocation gets a message, not a stack trace.

export const USAGE = `Loopscope language server: catches forgotten awaits and other asyncio mistakes in Python.

Usage:
  node dist/server.js --stdio               speak LSP over stdin/stdout (what editors use)
  node dist/server.js --node-ipc            speak LSP over the Node IPC channel of the parent process
  node dist/server.js --socket=PORT         connect to an LSP client listening on 127.0.0.1:PORT
  node dist/server.js --pipe=NAME           connect to an LSP client listening on a named pipe
  node dist/server.js --check FOLDER... [--json]
                                            check folders once, print the findings, exit 1 if any
  node dist/server.js --help                show this help

Options for the LSP modes:
  --clientProcessId=PID                     exit when that process ends

Editors: point the client at \`node dist/server.js --stdio\`; settings live under \`loopscope.rules.<code>.severity\`.
`;

export type Command =
  | { kind: 'help' }
  | { kind: 'check'; folders: string[]; json: boolean }
  | { kind: 'lsp'; transport: 'stdio' | 'node-ipc' | 'socket' | 'pipe' }
  | { kind: 'usage-error'; message: string };

/** Reads `argv` (without node and the script). The LSP library re-reads the transport flag itself. */
export function parseCommandLine(argv: readonly string[], hasIpcChannel: boolean): Command {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const checkAt = argv.indexOf('--check');
  if (checkAt !== -1) {
    return { kind: 'check', folders: argv.slice(checkAt + 1).filter((a) => !a.startsWith('--')), json: argv.includes('--json') };
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(argv[i]);
    const value = inline ?? argv[i + 1];
    if (flag === '--stdio') return { kind: 'lsp', transport: 'stdio' };
    if (flag === '--node-ipc') {
      return hasIpcChannel
        ? { kind: 'lsp', transport: 'node-ipc' }
        : { kind: 'usage-error', message: '--node-ipc needs a parent process that started the server with an IPC channel (child_process.fork); use --stdio otherwise' };
    }
    if (flag === '--socket') {
      const port = Number(value);
      return Number.isInteger(port) && port >= 1 && port <= 65535
        ? { kind: 'lsp', transport: 'socket' }
        : { kind: 'usage-error', message: `--socket needs a port number from 1 to 65535 (got ${value === undefined ? 'nothing' : JSON.stringify(value)})` };
    }
    if (flag === '--pipe') {
      return value ? { kind: 'lsp', transport: 'pipe' } : { kind: 'usage-error', message: '--pipe needs a pipe name (--pipe=NAME)' };
    }
  }
  return { kind: 'usage-error', message: argv.length ? `no transport among the arguments ${argv.join(' ')}` : 'no transport given' };
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}
