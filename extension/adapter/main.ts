// Entry point of dist/adapter.js: the Loopscope debug adapter speaking DAP over stdio.
// Wiring only; the session and the domain objects hold the logic, framing.ts guards the input.

import { framedInput } from './framing';
import { LoopscopeDebugSession } from './session';

const log = (text: string): void => { process.stderr.write(`loopscope adapter: ${text}\n`); };

// A bug in one handler must not kill the adapter: the client would wait forever for responses.
process.on('uncaughtException', (err) => log(err.stack ?? err.message));
process.on('unhandledRejection', (err) => log(String((err as Error)?.stack ?? err)));

// What the library's runDebugAdapter does for stdio, with the input re-framed first: its own parser
// loses every later message after one malformed header.
const session = new LoopscopeDebugSession();
process.on('SIGTERM', () => session.shutdown());
session.start(framedInput(process.stdin, (note) => log(`ignored ${note}`)), process.stdout);
