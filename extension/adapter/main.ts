// Entry point of dist/adapter.js: the Loopscope debug adapter speaking DAP over stdio.
// Wiring only; the session and the domain objects hold the logic.

import { LoopscopeSession } from './session';

// A bug in one handler must not kill the adapter: the client would wait forever for responses.
process.on('uncaughtException', (err) => { process.stderr.write(`loopscope adapter: ${err.stack ?? err.message}\n`); });
process.on('unhandledRejection', (err) => { process.stderr.write(`loopscope adapter: ${String((err as Error)?.stack ?? err)}\n`); });

LoopscopeSession.run(LoopscopeSession);
