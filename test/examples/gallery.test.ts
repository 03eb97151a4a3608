// Checks the examples/ gallery from the TypeScript side: the catalogue in gallery.ts
// matches the folder, and the `# BUG:` markers other suites rely on sit on the lines the
// real interpreter blames (the interpreter-by-interpreter run is examples/test_examples.py).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BUGGY_EXAMPLES, CORRECT_EXAMPLES, bugLine, bugLines, examplePath, lineOf, listExamples } from './gallery';

const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';

describe('examples gallery', () => {
  it('catalogues every program in examples/', () => {
    assert.deepEqual(listExamples(), [...CORRECT_EXAMPLES, ...BUGGY_EXAMPLES].sort());
  });

  it('documents each program in a top-of-file docstring', () => {
    for (const name of listExamples()) {
      const source = readFileSync(examplePath(name), 'utf8');
      assert.match(source, /^"""[^]*?"""/, `${name} should open with a docstring`);
    }
  });

  it('marks the buggy line of each deliberate bug, and only there', () => {
    for (const name of BUGGY_EXAMPLES) assert.ok(bugLines(name).length >= 1, `${name} lacks a # BUG: marker`);
    for (const name of CORRECT_EXAMPLES) assert.deepEqual(bugLines(name), [], `${name} is not supposed to be buggy`);
    assert.deepEqual(bugLines('deadlock.py').length, 2);
  });

  it('puts the forgotten-await marker on the line Python warns about', () => {
    const run = spawnSync(PYTHON, [examplePath('forgotten_await.py')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'saved 2 of 3 records');
    assert.match(run.stderr, new RegExp(`forgotten_await\\.py:${bugLine('forgotten_await.py')}: RuntimeWarning`));
  });

  it('puts the unretrieved-exception marker on the task that is never awaited', () => {
    const line = bugLine('unretrieved_exception.py');
    assert.equal(lineOf('unretrieved_exception.py', 'create_task(sync_inventory()'), line);
    const run = spawnSync(PYTHON, [examplePath('unretrieved_exception.py')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /Task exception was never retrieved/);
  });

  it('ends the deadlock example by itself with status 1', () => {
    const run = spawnSync(PYTHON, [examplePath('deadlock.py'), '0.2'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout.trim(), 'deadlock: timed out after 0.2 s; still waiting: ping, pong');
  });
});
