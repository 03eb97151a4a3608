// Generated Python files for the language server's stress test and bench: ~200 KB of async
// handlers, either with about 2,800 findings (four per handler) or with the same shape and none.
// Deterministic, so runs are comparable.

export const HANDLERS = 700;
export const FINDINGS_PER_HANDLER = 4;

/** `withFindings`: each handler drops a coroutine, a task, blocks on time.sleep and tests a coroutine. */
export function stressFile(withFindings: boolean, handlers = HANDLERS): string {
  const out = ['import asyncio', 'import time', '', '_tasks: set = set()', '', '', 'async def fetch(n: int) -> int:', '    await asyncio.sleep(0)', '    return n', '', ''];
  for (let i = 0; i < handlers; i++) {
    out.push(`async def handler_${i}(x: int) -> int:`, `    value = await fetch(x + ${i})`);
    if (withFindings) {
      out.push('    fetch(value)', '    asyncio.create_task(fetch(value))', '    time.sleep(0.01)', '    if fetch(x):', '        value += 1');
    } else {
      out.push('    await fetch(value)', '    _tasks.add(asyncio.create_task(fetch(value)))', '    await asyncio.sleep(0.01)', '    if await fetch(x):', '        value += 1');
    }
    // The clean variant's lines are longer, so its padding is shorter: both files are ~200 KB.
    const padding = withFindings ? 'padding so that a block is about the size of real code .........' : 'padding, shorter by as much ...';
    out.push(`    # handler ${i}: ${padding}`, '    return value', '', '');
  }
  return out.join('\n') + '\n';
}

/** The line of the padding comment of handler `i` (0-based), where typing bursts insert text. */
export function commentLine(text: string, i: number): number {
  const at = text.indexOf(`    # handler ${i}:`);
  return text.slice(0, at).split('\n').length - 1;
}
