// Incremental re-parsing in-process: after arbitrary edits the reused mirror must equal a fresh
// parse of the same text, node for node (types, fields, offsets, error flags).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Analyzer } from '../../server/src/analysis/analyzer';
import { loadPython, PyNode, PySource } from '../../server/src/analysis/syntax';

function shape(n: PyNode): string {
  return `${n.type}[${n.field ?? ''}]${n.start}-${n.end}${n.error ? '!' : ''}(${n.children.map(shape).join(',')})`;
}

function checkParents(n: PyNode): void {
  for (const c of n.children) {
    assert.equal(c.parent, n);
    checkParents(c);
  }
}

// Deterministic pseudo-random edits (no Math.random: failures must reproduce).
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

describe('incremental parsing (in-process)', function () {
  this.timeout(60000);
  const corpus = fs.readFileSync(path.join(__dirname, 'corpus', 'correct.py'), 'utf8');
  const snippets = ['await ', 'x', '\n', '    ', '(', ')', 'async def h():\n    pass\n', 'if f():\n', '"', '# c\n', 'é😀', ''];

  it('matches a fresh parse after 200 random edits', async () => {
    const lang = await loadPython();
    const src = PySource.create(lang, corpus);
    const next = rng(42);
    for (let i = 0; i < 200; i++) {
      const len = src.text.length;
      const start = Math.floor(next() * len);
      const end = Math.min(len, start + Math.floor(next() * 12));
      const text = snippets[Math.floor(next() * snippets.length)];
      if (next() < 0.5) {
        src.applyChanges([{ start, end, text }]);
      } else {
        const p1 = src.pointAt(start);
        const p2 = src.pointAt(end);
        src.applyChanges([{ range: { start: p1, end: p2 }, text }, { start: 0, end: 0, text: '' }]);
      }
      const fresh = PySource.create(lang, src.text);
      assert.equal(shape(src.root), shape(fresh.root), `edit ${i}`);
      checkParents(src.root);
      fresh.dispose();
    }
    src.dispose();
  });

  it('cached analysis after edits equals a fresh analysis of the same text', async () => {
    const file = path.join(__dirname, 'corpus', 'never_awaited.py');
    const original = fs.readFileSync(file, 'utf8');
    const live = await Analyzer.create();
    live.open('/virtual/mod.py', original);
    live.check('/virtual/mod.py');
    const next = rng(7);
    // Edits that change semantics: drop/restore awaits, make defs sync/async, rename, break syntax.
    const mutations: [RegExp, string][] = [[/await /, ''], [/ {4}(\w+\()/, '    await $1'], [/async def/, 'def'], [/\ndef /, '\nasync def '], [/work/, 'wurk'], [/wurk/, 'work'], [/\)\n/, '\n'], [/: int/, ''], [/import asyncio\n/, '']];
    for (let i = 0; i < 120; i++) {
      const text = live.text('/virtual/mod.py')!;
      const [re, to] = mutations[Math.floor(next() * mutations.length)];
      const lines = text.split('\n');
      const startLine = Math.floor(next() * lines.length);
      const from = lines.slice(0, startLine).join('\n').length;
      const m = re.exec(text.slice(from));
      if (!m) continue;
      const at = from + m.index;
      const replacement = m[0].replace(re, to);
      live.change('/virtual/mod.py', [{ start: at, end: at + m[0].length, text: replacement }]);
      const got = live.check('/virtual/mod.py').map((f) => `${f.code}@${f.start}-${f.end}`);
      const fresh = await Analyzer.create();
      const want = fresh.analyzeText('/virtual/mod.py', live.text('/virtual/mod.py')!).map((f) => `${f.code}@${f.start}-${f.end}`);
      assert.deepEqual(got, want, `after mutation ${i} (${re})`);
    }
  });
});
