// Words for what is under the pointer or the keyboard selection: the tooltip text and what the
// screen reader announces. Pure functions of the snapshot.

import { formatMs, type TimelineSnapshot } from '../views/timelineData';

export function describeRow(s: TimelineSnapshot, lane: number): string {
  const l = s.lanes[lane];
  const life = l.end !== null ? `${formatMs(l.start)} → ${formatMs(l.end)}` : `since ${formatMs(l.start)}`;
  const lines = [`${l.name} · ${l.coro}()`, `${l.state} · ${l.steps} steps · busy ${formatMs(l.busyMs)} · ${life}`];
  if (l.waitLabel) lines.push(`${l.finished ? 'last waited on' : 'waiting on'} ${l.waitLabel}`);
  if (l.site) lines.push(`created at ${l.site.file.split('/').pop()}:${l.site.line}`);
  return lines.join('\n');
}

export function describeStep(s: TimelineSnapshot, lane: number, step: number): string {
  const l = s.lanes[lane];
  const n = step - s.laneStepStart[lane] + 1;
  const dur = s.stepDur[step];
  const lines = [
    `${l.name} · ${l.coro}() step ${n}${dur >= s.blockingMs ? ' · BLOCKING' : ''}`,
    `at ${formatMs(s.stepTs[step])} for ${formatMs(dur)}`,
  ];
  const wait = s.stepWaitLabel[step];
  if (wait >= 0) lines.push(`then waited on ${s.labels[wait]}`);
  return lines.join('\n');
}
