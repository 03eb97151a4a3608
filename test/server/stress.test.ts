// Edit storms against the real server over LSP stdio, in a 160 MB heap: 1,000 full-text edits of
// a 200 KB file with 2,800 findings must not grow memory per edit (heap measured after a forced
// GC through loopscope/memoryUsage), bursts must be analysed far less often than once per
// version, and 1,000 keystrokes folded into one re-parse must give what a fresh parse gives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './lspClient';
import { commentLine, FINDINGS_PER_HANDLER, HANDLERS, stressFile } from './stressFiles';

interface Memory {
  rss: number;
  heapUsed: number;
  collected: boolean;
}

const MB = 1024 * 1024;
const summary = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${String(d.code)}`).sort();

describe('server under edit storms (real server over LSP stdio, --max-old-space-size=160)', function () {
  this.timeout(600000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-stress-'));
  const file = path.join(dir, 'big.py');
  const text = stressFile(true);
  let client: LspClient;
  let publishes = 0;

  before(async () => {
    client = await LspClient.start({ folder: dir, nodeArgs: ['--max-old-space-size=160', '--expose-gc'] });
    await client.waitIndexed();
    // A waiter that never matches counts every publish for the file (a second handler would replace the client's).
    void client.nextDiagnostics(client.uriOf(file), () => {
      publishes++;
      return false;
    });
  });
  after(async () => {
    if (client.alive) await client.stop();
  });

  const memory = (): Promise<Memory> => client.conn.sendRequest('loopscope/memoryUsage', { gc: true });

  /** Sends `count` full-text edits (no range) without waiting, then waits for the last version's diagnostics. */
  async function fullTextBurst(count: number, round: number, firstVersion: number): Promise<Diagnostic[]> {
    const uri = client.uriOf(file);
    let version = firstVersion;
    const sent: Promise<void>[] = [];
    // Written back to back, as an editor does: awaiting each write would pace the burst.
    for (let i = 0; i < count; i++) {
      version++;
      const next = text.replace('import time', `import time  # round ${round} edit ${i}`);
      sent.push(client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: next }] }));
    }
    await Promise.all(sent);
    const latest = client.latest.get(uri);
    return (latest?.version === version ? latest : await client.nextDiagnostics(uri, (p) => p.version === version)).diagnostics;
  }

  it('keeps memory flat over 1,000 full-text edits of a 200 KB file with 2,800 findings', async () => {
    const opened = await client.open(file, text);
    assert.equal(opened.length, HANDLERS * FINDINGS_PER_HANDLER);
    const samples: Memory[] = [await memory()];
    assert.ok(samples[0].collected, 'the server did not run with --expose-gc');
    const before = publishes;
    for (let round = 0; round < 4; round++) {
      const ds = await fullTextBurst(250, round, 1 + round * 250);
      assert.equal(ds.length, HANDLERS * FINDINGS_PER_HANDLER);
      samples.push(await memory());
    }
    assert.ok(client.alive, `the server died: ${client.stderr}`);
    const heaps = samples.map((m) => Math.round(m.heapUsed / MB));
    // 750 retained versions of 200 KB would be 150 MB; a leak of even 20 KB per edit shows as 15 MB.
    assert.ok(heaps[4] - heaps[1] < 15, `heap grows with edits (MB after open, then every 250 edits): ${heaps.join(', ')}`);
    assert.ok(heaps[4] - heaps[0] < 40, `heap after 1,000 edits far above the heap after open (MB): ${heaps.join(', ')}`);
    // Bursts are analysed once input settles, not once per version.
    assert.ok(publishes - before < 500, `${publishes - before} publishes for 1,000 edits`);
  });

  it('folds a burst of 1,000 keystrokes into what a fresh parse of the same text gives', async () => {
    const typing = path.join(dir, 'typing.py');
    const uri = client.uriOf(typing);
    assert.equal((await client.open(typing, text)).length, HANDLERS * FINDINGS_PER_HANDLER);
    // 509 characters at the end of handler 10's comment, a new line after handler 20's comment,
    // then 49 unawaited calls typed character by character: 1,000 didChange in all.
    const edits: { line: number; character: number; text: string }[] = [];
    const first = commentLine(text, 10);
    const firstEnd = text.split('\n')[first].length;
    for (let i = 0; i < 509; i++) edits.push({ line: first, character: firstEnd + i, text: 'x' });
    const second = commentLine(text, 20);
    edits.push({ line: second, character: text.split('\n')[second].length, text: '\n    ' });
    const typed = 'fetch(1); '.repeat(49);
    for (let i = 0; i < typed.length; i++) edits.push({ line: second + 1, character: 4 + i, text: typed[i] });
    assert.equal(edits.length, 1000);
    const sent = edits.map((e) => {
      const at = { line: e.line, character: e.character };
      return client.sendChange(typing, [{ range: { start: at, end: at }, newText: e.text }]);
    });
    const version = Math.max(...(await Promise.all(sent)));
    // The next request is answered against the latest version.
    await client.codeActions(typing, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, []);
    const latest = client.latest.get(uri);
    const burst = latest?.version === version ? latest.diagnostics : (await client.nextDiagnostics(uri, (p) => p.version === version)).diagnostics;
    const fresh = await client.open(path.join(dir, 'fresh.py'), client.text(typing));
    assert.equal(fresh.length, HANDLERS * FINDINGS_PER_HANDLER + 49);
    assert.deepEqual(summary(burst), summary(fresh));
    assert.ok(client.alive, `the server died: ${client.stderr}`);
  });
});
