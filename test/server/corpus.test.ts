// Labelled corpus through the real server over LSP stdio: each `# expect: <code> "<text>"` comment
// names a diagnostic whose range must be exactly that text on that line; every other line must be
// silent. Files without expectations (correct.py) must produce no diagnostics at all. Sub-folders
// are packages (indexed by the server like any workspace) whose files are checked the same way.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './lspClient';

const CORPUS = path.join(__dirname, 'corpus');
const EXPECT = /#\s*expect:\s*(.*)$/;
const ITEM = /([a-z-]+)\s+"((?:[^"\\]|\\.)*)"/g;

interface Expected {
  code: string;
  line: number;
  start: number;
  end: number;
}

export function expectationsOf(text: string): Expected[] {
  const out: Expected[] = [];
  text.split('\n').forEach((line, i) => {
    const m = EXPECT.exec(line);
    if (!m) return;
    const code = line.slice(0, m.index);
    let searchFrom = 0;
    for (const it of m[1].matchAll(ITEM)) {
      const snippet = it[2].replace(/\\(.)/g, '$1');
      const at = code.indexOf(snippet, searchFrom);
      assert.ok(at >= 0, `line ${i + 1}: expected text ${JSON.stringify(snippet)} not found`);
      searchFrom = at + 1;
      out.push({ code: it[1], line: i, start: at, end: at + snippet.length });
    }
  });
  return out;
}

const fmt = (d: { code?: unknown; line: number; start: number; end: number }) => `${d.line + 1}:${d.start + 1}-${d.end + 1} ${String(d.code)}`;
const fromDiag = (d: Diagnostic) => {
  assert.equal(d.range.start.line, d.range.end.line, 'single-line ranges in the corpus');
  return { code: d.code, line: d.range.start.line, start: d.range.start.character, end: d.range.end.character };
};

describe('server corpus (real server over LSP stdio)', function () {
  this.timeout(60000);
  let client: LspClient;
  // Packages inside the corpus (shop/) are checked too: their modules carry cross-module shapes.
  const files = (fs.readdirSync(CORPUS, { recursive: true }) as string[]).filter((f) => f.endsWith('.py')).sort();

  before(async () => {
    client = await LspClient.start({ folder: CORPUS });
    await client.waitIndexed();
  });
  after(async () => {
    await client?.stop();
  });

  it('has at least 60 labelled shapes, misuse and correct', () => {
    let shapes = 0;
    let misuse = 0;
    for (const f of files) {
      const text = fs.readFileSync(path.join(CORPUS, f), 'utf8');
      shapes += (text.match(/# shape:/g) ?? []).length;
      misuse += expectationsOf(text).length;
    }
    assert.ok(shapes >= 60, `only ${shapes} shapes`);
    assert.ok(misuse >= 40, `only ${misuse} expected diagnostics`);
  });

  for (const f of files) {
    it(`${f}: exactly the labelled diagnostics`, async () => {
      const file = path.join(CORPUS, f);
      const text = fs.readFileSync(file, 'utf8');
      const diagnostics = await client.open(file, text);
      for (const d of diagnostics) {
        assert.equal(d.source, 'loopscope');
        assert.ok(d.message.length > 10);
      }
      const got = diagnostics.map(fromDiag).map(fmt).sort();
      const want = expectationsOf(text).map(fmt).sort();
      assert.deepEqual(got, want);
    });
  }
});
