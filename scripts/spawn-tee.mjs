// Runs a command for the test scripts, streaming its output through to ours while keeping a copy,
// so a runner's closing lines can be parsed for counts after the user has watched it run. With
// `quiet`, nothing is streamed: a caller running several at once prints each one whole when it ends.
import { spawn } from 'node:child_process';

/** Resolves (never rejects) with the exit code (128 when killed by a signal) and all output. */
export function runTee(cmd, args, { quiet = false, ...opts } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const tee = (stream) => (chunk) => {
      text += chunk;
      if (!quiet) stream.write(chunk);
    };
    child.stdout.on('data', tee(process.stdout));
    child.stderr.on('data', tee(process.stderr));
    child.on('error', (err) => {
      text += `\n${err.message}\n`;
      resolve({ code: -1, text });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), text }));
  });
}
