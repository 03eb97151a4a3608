// The Async Tasks filter language: free words match a task's name or coroutine, `name:`, `coro:`
// and `state:` narrow explicitly, `state:` takes comma-separated states or `live`/`finished`.
// All terms must match. Parsing errors are user-facing messages for the quick input.

import type { TaskRecord, TaskState } from '../protocol/customDap';

const STATES: readonly TaskState[] = ['running', 'ready', 'waiting', 'done', 'failed', 'cancelled'];
const STATE_GROUPS: Record<string, readonly TaskState[]> = {
  live: ['running', 'ready', 'waiting'],
  finished: ['done', 'failed', 'cancelled'],
};

export interface TaskFilter {
  readonly text: string;
  matches(task: TaskRecord): boolean;
}

type Term = (task: TaskRecord) => boolean;

export class FilterSyntaxError extends Error {}

/** Returns null for an empty query (no filter); throws FilterSyntaxError with a helpful message. */
export function parseTaskFilter(query: string): TaskFilter | null {
  const text = query.trim();
  if (!text) return null;
  const terms: Term[] = [];
  for (const token of text.split(/\s+/)) {
    const colon = token.indexOf(':');
    const key = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? token.slice(colon + 1) : token;
    if (key === 'state' || key === 'is') {
      terms.push(stateTerm(value));
    } else if (key === 'name') {
      const v = requireValue(key, value).toLowerCase();
      terms.push((t) => t.name.toLowerCase().includes(v));
    } else if (key === 'coro') {
      const v = requireValue(key, value).toLowerCase();
      terms.push((t) => t.coro.toLowerCase().includes(v));
    } else {
      const v = token.toLowerCase();
      terms.push((t) => t.name.toLowerCase().includes(v) || t.coro.toLowerCase().includes(v));
    }
  }
  return { text, matches: (task) => terms.every((term) => term(task)) };
}

function requireValue(key: string, value: string): string {
  if (!value) throw new FilterSyntaxError(`"${key}:" needs a value, e.g. ${key}:worker`);
  return value;
}

function stateTerm(value: string): Term {
  const wanted = new Set<TaskState>();
  for (const part of requireValue('state', value).toLowerCase().split(',').filter(Boolean)) {
    const group = STATE_GROUPS[part];
    if (group) group.forEach((s) => wanted.add(s));
    else if ((STATES as readonly string[]).includes(part)) wanted.add(part as TaskState);
    else throw new FilterSyntaxError(`Unknown state "${part}". Use one of: ${[...STATES, ...Object.keys(STATE_GROUPS)].join(', ')}`);
  }
  return (t) => wanted.has(t.state);
}
