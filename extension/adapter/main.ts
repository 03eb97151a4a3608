// Entry point of dist/adapter.js: the Loopscope debug adapter speaking DAP over stdio.
// Wiring only; the session and the domain objects hold the logic.

import { LoopscopeSession } from './session';

LoopscopeSession.run(LoopscopeSession);
