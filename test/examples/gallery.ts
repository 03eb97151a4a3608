// Shared access to the examples/ gallery for every TypeScript test suite (DAP, CLI,
// extension e2e): absolute paths, and the lines marked `# BUG:` so tests can assert that a
// finding points at the right line without hard-coding line numbers.
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

export const EXAMPLES_DIR = path.resolve(__dirname, '..', '..', 'examples');

/** Gallery programs that run correctly. */
export const CORRECT_EXAMPLES = [
  'tasks_gather.py',
  'worker_pool.py',
  'callbacks_run_forever.py',
  'explicit_loop.py',
  'executor_threads.py',
  'streams_echo.py',
  'subprocess_demo.py',
  'crawler_semaphore.py',
  'timeouts_cancellation.py',
  'taskgroup.py',
  'many_tasks.py',
] as const;

/** Gallery programs with a deliberate bug, each marked `# BUG:` on the offending line(s). */
export const BUGGY_EXAMPLES = [
  'forgotten_await.py',
  'blocking_sleep.py',
  'unretrieved_exception.py',
  'deadlock.py',
] as const;

export type ExampleName = (typeof CORRECT_EXAMPLES)[number] | (typeof BUGGY_EXAMPLES)[number];
/** A catalogued example, or any other file name in examples/ (keeps autocompletion). */
export type ExampleFile = ExampleName | (string & {});

/** Absolute path of an example program. */
export function examplePath(name: ExampleFile): string {
  return path.join(EXAMPLES_DIR, name);
}

/** Every `.py` program in examples/ (the gallery's own unittest file excluded). */
export function listExamples(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.py') && !f.startsWith('test_'))
    .sort();
}

/** 1-based line numbers carrying a `# BUG:` marker in the example. */
export function bugLines(name: ExampleFile): number[] {
  const lines = readFileSync(examplePath(name), 'utf8').split('\n');
  const marked: number[] = [];
  lines.forEach((text, i) => {
    if (/#\s*BUG:/.test(text)) marked.push(i + 1);
  });
  return marked;
}

/** The single `# BUG:` line of an example; throws if there is not exactly one. */
export function bugLine(name: ExampleFile): number {
  const marked = bugLines(name);
  if (marked.length !== 1) throw new Error(`${name} has ${marked.length} '# BUG:' lines, expected exactly one`);
  return marked[0];
}

/** 1-based line of the first line containing `needle` (for "where is X created" assertions). */
export function lineOf(name: ExampleFile, needle: string): number {
  const idx = readFileSync(examplePath(name), 'utf8').split('\n').findIndex((l) => l.includes(needle));
  if (idx < 0) throw new Error(`${needle} not found in ${name}`);
  return idx + 1;
}
