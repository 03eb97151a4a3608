// The one-line summary of a session shown above the Async Tasks view and the Timeline:
// "exited with code 0 after 1.02 s · 5 tasks · 1 finding" once it ended, the tick while it runs.

import { formatCount } from './format';
import { formatMs } from './timelineData';

export interface SessionFacts {
  ended: boolean;
  exitCode: number | null;
  durationMs: number;
  tasks: number;
  findings: number;
  paused: boolean;
  tick: number | null;
}

const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

export function sessionHeader(f: SessionFacts): string {
  const counts = `${plural(f.tasks, 'task')} · ${plural(f.findings, 'finding')}`;
  if (f.ended) {
    const how = f.exitCode !== null ? `Exited with code ${f.exitCode}` : 'Ended';
    return `${how} after ${formatMs(f.durationMs)} · ${counts}`;
  }
  const tick = f.tick !== null ? ` · tick ${formatCount(f.tick)}` : '';
  return `${f.paused ? 'Paused' : 'Running'}${tick} · ${counts}`;
}
