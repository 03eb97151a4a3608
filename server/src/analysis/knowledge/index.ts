// Single lookup point over all knowledge tables, with the module aliases libraries re-export under
// (asyncio.tasks.sleep is asyncio.sleep, redis.asyncio.client.Redis is redis.asyncio.Redis, ...).
import { asyncioTable } from './asyncio';
import { librariesTable } from './libraries';
import { ClassFacts, FunctionFacts } from './types';

export * from './types';

const FUNCTIONS: Record<string, FunctionFacts> = { ...asyncioTable.functions, ...librariesTable.functions };
const CLASSES: Record<string, ClassFacts> = { ...asyncioTable.classes, ...librariesTable.classes };

/** Top-level packages the tables describe; a workspace module of the same name is the library itself. */
export const KNOWN_PACKAGES = new Set(['asyncio', 'aiohttp', 'httpx', 'asyncpg', 'aiofiles', 'redis', 'anyio', 'trio', 'time', 'subprocess', 'os', 'urllib', 'requests', 'socket', 'builtins']);

const ALIASES: [RegExp, string][] = [
  [/^asyncio\.(?:tasks|streams|locks|queues|events|base_events|timeouts|taskgroups|runners|futures|coroutines|threads|selector_events|unix_events)\./, 'asyncio.'],
  [/^asyncio\.subprocess\.(create_subprocess_\w+)$/, 'asyncio.$1'],
  [/^asyncio\.(?:subprocess\.)?Process$/, 'asyncio.subprocess.Process'],
  [/^redis\.asyncio\.client\./, 'redis.asyncio.'],
  [/^redis\.asyncio\.(?:utils\.)?from_url$/, 'redis.asyncio.from_url'],
  [/^aiohttp\.client\./, 'aiohttp.'],
  [/^aiofiles\.threadpool\.open$/, 'aiofiles.open'],
  [/^(anyio|trio)\._[a-z_.]+\.(\w+)$/, '$1.$2'],
  [/^asyncpg\.(?:connection|pool)\./, 'asyncpg.'],
];

const normalised = new Map<string, string>();
function normalise(qname: string): string {
  let n = normalised.get(qname);
  if (n === undefined) {
    n = qname;
    for (const [re, to] of ALIASES) {
      if (re.test(qname)) {
        n = qname.replace(re, to);
        break;
      }
    }
    normalised.set(qname, n);
  }
  return n;
}

export function knownFunction(qname: string): FunctionFacts | undefined {
  return FUNCTIONS[qname] ?? FUNCTIONS[normalise(qname)];
}

export function knownClass(qname: string): ClassFacts | undefined {
  return CLASSES[qname] ?? CLASSES[normalise(qname)];
}

/** Builtins that take a value and use it synchronously: a coroutine there is a bug. */
export const SYNC_VALUE_BUILTINS = new Set(['len', 'str', 'print', 'int', 'float', 'bool', 'list', 'tuple', 'sorted', 'sum', 'min', 'max', 'abs', 'round', 'dict', 'set']);
