// The layering rule bites: lint (the project's own eslint.config.mjs, through ESLint's API)
// rejects every editor, DAP and LSP library import, subpaths and require() included, planted in
// each domain folder, and accepts the same import in an entry point.

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..');

/** One real file per domain folder: the planted line goes on top of its actual source. */
const DOMAIN_FILES = [
  'extension/model/taskModel.ts',
  'extension/protocol/wire.ts',
  'extension/views/taskTree.ts',
  'extension/core/target.ts',
  'extension/cli/run.ts',
  'server/src/analysis/analyzer.ts',
];

const FORBIDDEN = [
  "import * as vscode from 'vscode';",
  "import type { Disposable } from 'vscode';",
  "import { DebugSession } from '@vscode/debugadapter';",
  "import { DebugSession } from '@vscode/debugadapter/lib/debugSession';",
  "import { createConnection } from 'vscode-languageserver';",
  "import { createConnection } from 'vscode-languageserver/node';",
  "import { LanguageClient } from 'vscode-languageclient/node';",
  "import lsp = require('vscode-languageserver/node');",
  "const dap = require('@vscode/debugadapter');",
  "const client = require('vscode-languageclient/node');",
];

const LAYER_RULES = new Set(['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']);

describe('layering rule (eslint.config.mjs)', function () {
  this.timeout(120000);
  const eslint = new ESLint({ cwd: ROOT });
  const sources = new Map<string, string>();

  before(async function () {
    const { readFile } = await import('node:fs/promises');
    for (const f of DOMAIN_FILES) sources.set(f, await readFile(path.join(ROOT, f), 'utf8'));
  });

  /** Layer-rule messages by line, for `planted` lines put on top of the file's real source. */
  async function layerErrors(file: string, planted: string[]): Promise<Map<number, string[]>> {
    const text = `${planted.join('\n')}\nvoid 0;\n${sources.get(file) ?? ''}`;
    const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, file) });
    const byLine = new Map<number, string[]>();
    for (const m of result.messages) {
      if (m.ruleId === null || !LAYER_RULES.has(m.ruleId) || m.line > planted.length) continue;
      byLine.set(m.line, [...(byLine.get(m.line) ?? []), m.message]);
    }
    return byLine;
  }

  for (const file of DOMAIN_FILES) {
    // All the forbidden imports at once, one a line (one type-aware lint per file, not one per import).
    it(`rejects every forbidden import in ${path.dirname(file)}/`, async function () {
      const errors = await layerErrors(file, FORBIDDEN);
      const unflagged = FORBIDDEN.filter((_, i) => !errors.has(i + 1));
      assert.deepEqual(unflagged, [], `lint let these through in ${file}`);
      for (const messages of errors.values()) assert.match(messages[0], /domain modules must not (import|require)/);
    });
  }

  it('the unmodified domain files pass the rule', async function () {
    for (const file of DOMAIN_FILES) assert.deepEqual([...(await layerErrors(file, ['// nothing planted'])).values()], [], file);
  });

  it('entry points may import the editor libraries', async function () {
    const [result] = await eslint.lintText("import { createConnection } from 'vscode-languageserver/node';\nvoid createConnection;\n", {
      filePath: path.join(ROOT, 'server/src/main.ts'),
    });
    assert.deepEqual(result.messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId)), []);
  });
});
