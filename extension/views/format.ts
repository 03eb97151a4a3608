// Human-readable text for tasks, futures, loops and the session status: tree descriptions,
// icons, Markdown tooltips and the status bar line. Pure functions of records (and "now"),
// so the wording is unit-tested without VS Code.

import { pathToFileURL } from 'node:url';
import { basename } from 'node:path';
import type { Frame, FutureRecord, Location, LoopRecord, StatusRecord, TaskRecord, TaskState, WaitTarget } from '../protocol/customDap';

const NUMBER = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return NUMBER.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * `sleep · 0.02 s left`: precision that fits the time left, so short sleeps are not shown rounded up
 * to 0.1 s and long ones read naturally (`2 min 5 s left`). Rounded up: "0 s left" never shows while
 * the timer is still pending; `due` once its time has passed.
 */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'due';
  if (ms < 10) return '< 0.01 s left';
  if (ms < 1000) return `${trimZeros((Math.ceil(ms / 10) / 100).toFixed(2))} s left`;
  if (ms < 10_000) return `${trimZeros((Math.ceil(ms / 100) / 10).toFixed(1))} s left`;
  const total = Math.ceil(ms / 1000);
  if (total < 60) return `${total} s left`;
  if (total < 3600) {
    const sec = total % 60;
    return `${Math.floor(total / 60)} min${sec ? ` ${sec} s` : ''} left`;
  }
  const min = Math.floor((total % 3600) / 60);
  return `${Math.floor(total / 3600)} h${min ? ` ${min} min` : ''} left`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

export function describeWait(wait: WaitTarget, nowEpochMs: number): string {
  if (wait.kind === 'sleep' && typeof wait.untilEpochMs === 'number') {
    return `sleep · ${formatRemaining(wait.untilEpochMs - nowEpochMs)}`;
  }
  return wait.label;
}

export type TaskLookup = (id: number) => TaskRecord | undefined;

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** The tree description: what a live task waits on, or how a finished task ended. */
export function describeTask(task: TaskRecord, nowEpochMs: number, lookup: TaskLookup): string {
  switch (task.state) {
    case 'running': return 'running';
    case 'ready': return task.wokenBy ? `ready · woken by ${task.wokenBy.label}` : 'ready';
    case 'waiting': return task.waitingOn ? describeWait(task.waitingOn, nowEpochMs) : 'waiting';
    case 'done': return task.result !== null ? `done → ${truncate(task.result, 60)}` : 'done';
    case 'failed':
      return task.exception ? truncate(`${task.exception.type}: ${task.exception.message}`, 80) : 'failed';
    case 'cancelled': {
      const by = task.cancelledBy?.task;
      if (by === undefined || by === null) return 'cancelled';
      if (by === task.id) return 'cancelled itself';
      const name = lookup(by)?.name;
      return `cancelled by ${name ?? `task ${by}`}`;
    }
  }
}

export interface IconSpec { id: string; color?: string }

const STATE_ICONS: Record<TaskState, IconSpec> = {
  running: { id: 'sync~spin', color: 'charts.green' },
  ready: { id: 'play-circle', color: 'charts.yellow' },
  waiting: { id: 'watch' },
  done: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
};

export function taskIcon(task: TaskRecord): IconSpec {
  if (task.state === 'waiting' && task.waitingOn?.kind === 'sleep') return { id: 'clock' };
  return STATE_ICONS[task.state];
}

export function loopLabel(loop: LoopRecord | undefined, loopId: number): string {
  if (!loop) return `Event loop ${loopId}`;
  return `Event loop ${loopId} · ${loop.thread.name}`;
}

export function loopDescription(loop: LoopRecord | undefined): string {
  if (!loop) return '';
  const cls = loop.cls.split('.').pop() ?? loop.cls;
  const state = loop.closed ? 'closed' : loop.paused ? 'paused' : 'running';
  return `${state} · ${cls}`;
}

export function loopIcon(loop: LoopRecord | undefined): IconSpec {
  if (!loop) return { id: 'sync' };
  if (loop.closed) return { id: 'circle-slash', color: 'disabledForeground' };
  return loop.paused ? { id: 'debug-pause', color: 'debugIcon.pauseForeground' } : { id: 'sync' };
}

/** Loop rows refresh only on pause/resume/close, so the live counters are shown on hover instead. */
export function loopTooltip(loop: LoopRecord | undefined, loopId: number): string {
  if (!loop) return `Event loop ${loopId} (no details received yet)`;
  const lines = [
    `**Event loop ${loopId}** on thread **${escapeMarkdown(loop.thread.name)}** · \`${loop.cls}\``,
    '',
    `${loop.closed ? 'closed' : loop.paused ? 'paused' : 'running'} · tick ${formatCount(loop.tick)} · ${formatCount(loop.ready)} ready · ${plural(loop.timers, 'timer')}`,
  ];
  if (!loop.tickControl) lines.push('', '_Tick stepping is not available on this loop class; tasks are shown read-only._');
  return lines.join('\n');
}

export function futureDescription(fut: FutureRecord): string {
  return fut.site ? siteText(fut.site) : 'future';
}

export function siteText(loc: Location): string {
  return `${basename(loc.file)}:${loc.line}`;
}

/** Escapes text for Markdown so task names like `__init__` or `a*b` render literally. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** A Markdown link that VS Code opens at the line (the `#L<n>` fragment is honoured for file URIs). */
export function locationLink(loc: Location): string {
  const href = `${pathToFileURL(loc.file).href}#L${loc.line}`;
  return `[${escapeMarkdown(siteText(loc))}](${href})`;
}

export type ChainState = { frames: Frame[] } | { error: string } | undefined;

/** Markdown tooltip: identity, state, creation site, and the await chain when it was fetched. */
export function taskTooltip(task: TaskRecord, lookup: TaskLookup, nowEpochMs: number, chain: ChainState): string {
  const lines: string[] = [];
  lines.push(`**${escapeMarkdown(task.name)}** · \`${task.coro.replace(/`/g, "'")}\` · ${task.state}`);
  lines.push('');
  const facts = [`task ${task.id}`, `loop ${task.loop}`, plural(task.steps, 'step'), `${task.busyMs.toFixed(1)} ms busy`];
  if (task.eager) facts.push('eager');
  lines.push(facts.join(' · '));
  if (task.waitingOn) {
    const w = task.waitingOn;
    let text = `Waiting on **${escapeMarkdown(describeWait(w, nowEpochMs))}**`;
    if (w.detail) text += ` (${escapeMarkdown(w.detail)})`;
    if (w.site) text += ` at ${locationLink(w.site)}`;
    lines.push('', text);
  }
  const parent = task.parentId !== null ? lookup(task.parentId) : undefined;
  const creator = task.parentId === null ? '' : ` by **${escapeMarkdown(parent?.name ?? `task ${task.parentId}`)}**`;
  lines.push('', task.createdAt ? `Created${creator} at ${locationLink(task.createdAt)}` : `Created${creator} (site unknown)`);
  if (task.state === 'failed' && task.exception) {
    const loc = task.exception.location ? ` at ${locationLink(task.exception.location)}` : '';
    lines.push('', `Raised **${escapeMarkdown(task.exception.type)}**: ${escapeMarkdown(task.exception.message)}${loc}`);
  }
  if (chain && 'frames' in chain) {
    lines.push('', '**Await chain** (innermost first)', '');
    const shown = chain.frames.filter((f) => !f.internal);
    const hidden = chain.frames.length - shown.length;
    (shown.length ? shown : chain.frames).forEach((f, i) => {
      lines.push(`${i + 1}. \`${f.name.replace(/`/g, "'")}\` ${locationLink(f)}`);
    });
    if (shown.length && hidden) lines.push('', `_${plural(hidden, 'asyncio/library frame')} hidden_`);
  } else if (chain && 'error' in chain) {
    lines.push('', `_Await chain unavailable: ${escapeMarkdown(chain.error)}_`);
  }
  return lines.join('\n');
}

/** Plain-text await chain for the clipboard, innermost first, like a traceback reads bottom-up. */
export function awaitChainText(task: TaskRecord, frames: Frame[]): string {
  const head = `Task ${task.name} (${task.coro}) — ${task.state}${task.waitingOn ? `, waiting on ${task.waitingOn.label}` : ''}`;
  const body = frames.map((f) => `  at ${f.name} (${f.file}:${f.line})${f.internal ? ' [internal]' : ''}`);
  return [head, ...body].join('\n');
}

/** Where selecting a task should take the editor: innermost user frame, else what we know. */
export function suspensionLocation(task: TaskRecord, frames: Frame[] | undefined): Location | null {
  const user = frames?.find((f) => !f.internal) ?? frames?.[0];
  if (user) return { file: user.file, line: user.line };
  if (task.waitingOn?.site) return task.waitingOn.site;
  if (task.exception?.location) return task.exception.location;
  return task.createdAt;
}

/** Status bar text, e.g. `Loopscope: tick 1,234 · 12 tasks · 3 ready`, with a pause icon when held. */
export function statusText(status: StatusRecord | null, noTickControl = false): string {
  if (!status) return '$(loading~spin) Loopscope: connecting…';
  // A loop whose scheduler is C (uvloop) has no ticks to count: say so rather than show 0.
  const tick = noTickControl ? 'no tick control' : `tick ${formatCount(status.tick)}`;
  // Counted-not-listed tasks or dropped detail: the tooltip says what, the text that it happened.
  const sampled = status.sampling.length > 0 ? ' · sampled' : '';
  const text = `Loopscope: ${tick} · ${plural(status.tasksLive, 'task')} · ${formatCount(status.ready)} ready${sampled}`;
  return status.paused ? `$(debug-pause) ${text}` : text;
}

export function statusTooltip(status: StatusRecord | null, noTickControl = false): string {
  if (!status) return 'Loopscope: waiting for the Python program to connect';
  const lines = [
    status.paused ? `Paused${status.pauseDescription ? `: ${status.pauseDescription}` : ''}` : 'Running',
    `${formatCount(status.tasksLive)} live of ${formatCount(status.tasksTotal)} tasks created`,
  ];
  if (noTickControl) {
    lines.push('The event loop runs its scheduler in C (e.g. uvloop): ticks are not counted and tick stepping is unavailable; tasks, steps and findings are still recorded');
  }
  lines.push(...status.sampling);
  lines.push('Click to show Async Tasks');
  return lines.join('\n');
}
