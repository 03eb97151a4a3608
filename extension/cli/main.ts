// Entry point of dist/cli.js (the `loopscope` command): parses arguments and hands off to run().
// Wiring only.

import { EXIT_USAGE, USAGE, UsageError, VERSION, parseArgs, run } from './run';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`loopscope: ${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`loopscope ${VERSION}\n`);
    return 0;
  }
  return run(parsed.options, { stderr: process.stderr, cwd: process.cwd() });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`loopscope: internal error: ${err.stack ?? err.message}\n`);
    process.exit(70);
  },
);
