// DAP shapes for line debugging (issue 12): breakpoints with their source, the one stopped event
// of a line stop, and logpoint output with its location. Pure translation, no state.

import { Breakpoint, OutputEvent, Source, StoppedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'node:path';
import type { BreakpointState, LineStop } from '../core/lineDebugger';
import type { RuntimeOutputEvent } from '../protocol/wire';

export function dapBreakpoint(b: BreakpointState): DebugProtocol.Breakpoint {
  const bp: DebugProtocol.Breakpoint = new Breakpoint(b.verified, b.line, undefined, b.file ? new Source(path.basename(b.file), b.file) : undefined);
  bp.id = b.id;
  if (b.message) bp.message = b.message;
  return bp;
}

/** One event per stop (issue 15): every thread is shown stopped, focus goes to the stopped task. */
export function lineStoppedEvent(stop: LineStop): DebugProtocol.StoppedEvent {
  const ev: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, stop.threadId, stop.exception ? `${stop.exception.type}: ${stop.exception.message}` : undefined);
  // The task thread's own name already says which task; VS Code's "Paused on breakpoint" label stays
  // short beside it. Threads outside a task get the runtime's description (which thread, where).
  if (stop.task === null) ev.body.description = stop.description;
  ev.body.allThreadsStopped = true;
  if (stop.hitBreakpoints.length > 0) ev.body.hitBreakpointIds = stop.hitBreakpoints;
  return ev;
}

export function logpointOutput(o: RuntimeOutputEvent): DebugProtocol.OutputEvent {
  const ev: DebugProtocol.OutputEvent = new OutputEvent(o.text, o.category);
  if (o.location) {
    ev.body.source = new Source(path.basename(o.location.file), o.location.file);
    ev.body.line = o.location.line;
  }
  return ev;
}

/** exceptionInfo for a line stop at a Python exception. */
export function lineExceptionInfo(stop: LineStop, uncaught: boolean): DebugProtocol.ExceptionInfoResponse['body'] | null {
  const exc = stop.exception;
  if (!exc) return null;
  return {
    exceptionId: exc.type, description: exc.message, breakMode: uncaught ? 'unhandled' : 'always',
    details: { message: exc.message, typeName: exc.type, stackTrace: exc.traceback },
  };
}
