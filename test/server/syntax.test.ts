// Incremental re-parsing in-process: after arbitrary edits the reused mirror must equal a fresh
// parse of the same text, node for node (types, fields, offsets, error flags).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

  it('matches a fresh parse after 300 random edits', async () => {
    const lang = await loadPython();
    const src = PySource.create(lang, corpus);
    const next = rng(42);
    for (let i = 0; i < 300; i++) {
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
});
