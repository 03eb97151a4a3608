// Turns runtime findings (never-awaited coroutine, blocking call, unretrieved exception, stall…)
// into editor-independent diagnostic data: file, line, severity, a clear message and related
// locations. The client only converts this data into vscode.Diagnostic objects.

import type { FindingKind, FindingRecord, Location, TaskRecord } from '../protocol/customDap';
import { formatCount, siteText } from './format';

export type Severity = 'error' | 'warning' | 'information';

export interface DiagnosticData {
  file: string;
  /** 1-based, as in the protocol. */
  line: number;
  severity: Severity;
  code: FindingKind;
  message: string;
  related: { file: string; line: number; message: string }[];
}

export interface FindingContext {
  /** The session's blocking threshold, to say how far over it a blocking call went. */
  blockingThresholdMs?: number;
  task(id: number): TaskRecord | undefined;
}

const SEVERITY: Record<FindingKind, Severity> = {
  'never-awaited': 'warning',
  'blocking-call': 'warning',
  'unretrieved-exception': 'error',
  'destroyed-pending': 'warning',
  stall: 'warning',
};

const FALLBACK: Record<FindingKind, string> = {
  'never-awaited': 'Coroutine was created but never awaited, so it never ran',
  'blocking-call': 'Blocking call held the event loop',
  'unretrieved-exception': "Task raised an exception that nobody retrieved (it was never awaited or result() wasn't called)",
  'destroyed-pending': 'Task was destroyed while still pending (no reference kept to it)',
  stall: 'The event loop stalled: every task is waiting and nothing can wake them',
};

function ms(n: number): string {
  return `${formatCount(Math.round(n))} ms`;
}

/** The message shown in Problems. The runtime's own text is kept when it adds detail. */
export function findingMessage(f: FindingRecord, ctx: FindingContext): string {
  let head: string;
  if (f.kind === 'blocking-call' && f.durationMs !== null) {
    const threshold = ctx.blockingThresholdMs !== undefined ? ` (threshold ${ms(ctx.blockingThresholdMs)})` : '';
    head = `Blocking call held the event loop for ${ms(f.durationMs)}${threshold}`;
  } else if (f.kind === 'stall' && f.durationMs !== null) {
    head = `The event loop stalled for ${ms(f.durationMs)}: every task is waiting and nothing can wake them`;
  } else {
    head = f.message.trim() || FALLBACK[f.kind];
  }
  const runtimeText = f.message.trim();
  if (runtimeText && !head.includes(runtimeText) && !sameStart(head, runtimeText) && !mentionsDuration(runtimeText, f.durationMs)) {
    head += `: ${runtimeText}`;
  }
  const task = f.taskId !== null ? ctx.task(f.taskId) : undefined;
  if (task && !head.includes(task.name)) head += ` [task ${task.name}]`;
  return head;
}

/** The runtime's sentence restates the duration we already lead with ("… blocked the loop for 300 ms"). */
function mentionsDuration(text: string, durationMs: number | null): boolean {
  if (durationMs === null) return false;
  const n = Math.round(durationMs);
  return text.includes(`${n} ms`) || text.includes(`${formatCount(n)} ms`) || text.includes(`${n}ms`);
}

function sameStart(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length, 24);
  return a.slice(0, n).toLowerCase() === b.slice(0, n).toLowerCase();
}

/** Where a finding is reported: its own location, else the creation site of its task. */
export function findingLocation(f: FindingRecord, ctx: FindingContext): Location | null {
  if (f.location) return f.location;
  const task = f.taskId !== null ? ctx.task(f.taskId) : undefined;
  return task?.createdAt ?? null;
}

/** Null when the finding has no source location at all (the client logs those instead). */
export function findingToDiagnostic(f: FindingRecord, ctx: FindingContext): DiagnosticData | null {
  const loc = findingLocation(f, ctx);
  if (!loc) return null;
  const related: DiagnosticData['related'] = [];
  const task = f.taskId !== null ? ctx.task(f.taskId) : undefined;
  if (task?.createdAt && (task.createdAt.file !== loc.file || task.createdAt.line !== loc.line)) {
    related.push({ ...task.createdAt, message: `task ${task.name} was created here` });
  }
  for (const chain of f.chains ?? []) {
    const name = ctx.task(chain.task)?.name ?? `task ${chain.task}`;
    const frame = chain.frames.find((fr) => !fr.internal) ?? chain.frames[0];
    if (frame) related.push({ file: frame.file, line: frame.line, message: `${name} is stuck in ${frame.name} (${siteText(frame)})` });
  }
  return {
    file: loc.file, line: Math.max(1, loc.line), severity: SEVERITY[f.kind], code: f.kind,
    message: findingMessage(f, ctx), related,
  };
}
