// Shape of the library knowledge tables: what each known callable returns and how known classes
// behave under await / async with / async for. Pure data, consumed by the inference.

/** What calling something gives back. */
export type CallResult =
  /** A coroutine object: dropping it is always a bug. */
  | 'coroutine'
  /** An awaitable that is also an async context manager (aiohttp `session.get`, asyncpg `pool.acquire`). */
  | 'awaitable-cm'
  /** An async generator / async iterator: fine to drop, wrong in a sync `for`. */
  | 'asynciter'
  /** An asyncio Task/Future that runs on its own: dropping the only reference is a dangling task. */
  | 'task'
  /** A plain value. */
  | 'value';

export interface FunctionFacts {
  result: CallResult;
  /** Class (qualified name) of the value produced: after `await` for awaitables, directly otherwise. */
  type?: string;
  /** For awaitables returning tuples, e.g. `reader, writer = await asyncio.open_connection()`. */
  tupleTypes?: string[];
  /** Positional/keyword arguments are awaited or scheduled by this callable. */
  consumesAwaitables?: boolean;
  /** The call blocks the thread; `replacement` suggests the async alternative. */
  blocking?: { replacement: string };
  /** The result only works with `async with` (TaskGroup, timeout, nurseries). */
  asyncOnlyCM?: boolean;
  /**
   * Position of the argument that must be a function (called later), not a coroutine object:
   * `nursery.start_soon(fn, *args)`, `loop.call_soon(callback)`, `asyncio.to_thread(func)`.
   */
  callableArg?: number;
}

export const takesCallable = (index = 0, result: FunctionFacts['result'] = 'value'): FunctionFacts => ({ result, callableArg: index });

export interface ClassFacts {
  methods: Record<string, FunctionFacts>;
  /** Instances only work with `async with`; `enterType` is the `as` target's class. */
  asyncOnlyCM?: boolean;
  enterType?: string;
  /** Instances are async-iterable only (a sync `for` raises TypeError). */
  asyncIterable?: boolean;
  bases?: string[];
  /** Instance attributes with a known class (qualified name), e.g. `Process.stdout`. */
  attributes?: Record<string, string>;
}

export interface LibraryTable {
  functions: Record<string, FunctionFacts>;
  classes: Record<string, ClassFacts>;
}

export const co = (type?: string): FunctionFacts => ({ result: 'coroutine', type });
export const val = (type?: string): FunctionFacts => ({ result: 'value', type });

export function coroutines(names: readonly string[], type?: string): Record<string, FunctionFacts> {
  const out: Record<string, FunctionFacts> = {};
  for (const n of names) out[n] = co(type);
  return out;
}
