// The CLI writes its report and trace piece by piece (extension/cli/jsonFile.ts): the file must be
// byte for byte what JSON.stringify gives, pretty and compact, for every shape a report holds.

import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonFile } from '../../extension/cli/jsonFile';

describe('writeJsonFile', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'loopscope-json-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const docs: Record<string, Record<string, unknown>> = {
    empty: {},
    report: {
      schema: 'loopscope-report/1', exitCode: null, argv: ['a "quoted"\narg', 'ü ☃'], ticks: 3,
      loops: [{ id: 1, cls: 'asyncio.unix_events._UnixSelectorEventLoop', tickControl: true, ticks: 3 }],
      limitations: [], taskStates: { pending: 0, done: 2, failed: 0, cancelled: 0 },
      tasks: Array.from({ length: 2500 }, (_, i) => ({
        id: i, name: `Task-${i}`, state: 'done', createdAt: i % 2 ? null : { file: '/x.py', line: i },
        waitingOn: { kind: 'gather', label: 'gather(2)', tasks: [1, 2] }, result: i % 3 ? null : `'r\\n${i}'`,
      })),
      findings: [], nothing: undefined, nested: { deep: [[1, [2, { a: [] }]], {}] },
    },
    trace: { traceEvents: [{ name: 'x', ph: 'X', ts: 1.5, args: { a: [1, 2] } }, undefined, null], displayTimeUnit: 'ms', otherData: { sampling: [] } },
  };

  for (const [name, doc] of Object.entries(docs)) {
    for (const indent of [2, 0]) {
      it(`${name}, indent ${indent}: identical to JSON.stringify`, () => {
        const file = path.join(dir, `${name}-${indent}.json`);
        writeJsonFile(file, doc, indent);
        assert.equal(readFileSync(file, 'utf8'), JSON.stringify(doc, null, indent));
      });
    }
  }

  it('names the file when it cannot be written', () => {
    assert.throws(() => writeJsonFile(path.join(dir, 'missing', 'r.json'), { a: 1 }, 2), /missing/);
  });
});
