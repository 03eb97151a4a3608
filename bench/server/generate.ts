// Generates the benchmark's large Python file: realistic async service code (classes, annotated
// receivers, awaits, tasks, a few real findings), deterministic so runs are comparable.
export function generateLargeFile(targetLines = 5000): string {
  const out: string[] = [
    '"""Generated benchmark module: an async service with many handlers."""',
    'import asyncio',
    'import time',
    'from typing import Optional',
    '',
    '_background_tasks: set = set()',
    '',
  ];
  let i = 0;
  while (out.length < targetLines - 40) {
    out.push(
      `class Handler${i}:`,
      `    def __init__(self, lock: asyncio.Lock, queue: asyncio.Queue) -> None:`,
      `        self.lock = lock`,
      `        self.queue = queue`,
      `        self.count = 0`,
      ``,
      `    async def load(self, key: str) -> Optional[str]:`,
      `        async with self.lock:`,
      `            await asyncio.sleep(0)`,
      `            self.count += 1`,
      `            return key * 2 if self.count % 2 else None`,
      ``,
      `    async def handle(self, item: int) -> int:`,
      `        value = await self.load(str(item))`,
      `        if value is not None and len(value) > ${i % 7}:`,
      `            await self.queue.put(value)`,
      `        results = await asyncio.gather(*(self.load(str(k)) for k in range(3)))`,
      `        task = asyncio.create_task(self.load("x"))`,
      `        _background_tasks.add(task)`,
      `        task.add_done_callback(_background_tasks.discard)`,
      `        return len([r for r in results if r])`,
      ``,
      ``,
      `async def worker_${i}(h: Handler${i}, n: int) -> None:`,
      `    for k in range(n):`,
      `        total = await h.handle(k)`,
      `        print("worker ${i}", total)`,
      i % 10 === 0 ? `    h.load("forgotten")` : `    await h.load("kept")`,
      i % 25 === 0 ? `    time.sleep(0.01)` : `    await asyncio.sleep(0.01)`,
      ``,
      ``,
    );
    i++;
  }
  out.push('async def main() -> None:', '    lock = asyncio.Lock()', '    queue: asyncio.Queue = asyncio.Queue()');
  out.push(`    await asyncio.gather(${Array.from({ length: Math.min(i, 20) }, (_, k) => `worker_${k}(Handler${k}(lock, queue), 3)`).join(', ')})`);
  while (out.length < targetLines - 3) out.push('    # padding');
  out.push('', 'if __name__ == "__main__":', '    asyncio.run(main())');
  return out.join('\n') + '\n';
}
