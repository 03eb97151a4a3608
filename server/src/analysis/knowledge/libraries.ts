// Knowledge of common third-party async libraries: aiohttp, httpx, asyncpg, aiofiles,
// redis.asyncio, anyio, trio, plus the blocking `requests` API.
import { ClassFacts, co, coroutines, FunctionFacts, LibraryTable, takesCallable, val } from './types';

const awaitableCM = (type?: string): FunctionFacts => ({ result: 'awaitable-cm', type });
const blocking = (replacement: string): FunctionFacts => ({ result: 'value', blocking: { replacement } });

const HTTP_VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];
const REDIS_COMMANDS = [
  'get', 'set', 'delete', 'exists', 'expire', 'incr', 'decr', 'incrby', 'mget', 'mset', 'keys', 'scan',
  'hget', 'hset', 'hgetall', 'hdel', 'hincrby', 'lpush', 'rpush', 'lpop', 'rpop', 'lrange', 'llen',
  'sadd', 'srem', 'smembers', 'sismember', 'zadd', 'zrange', 'zrem', 'publish', 'ping', 'flushdb',
  'flushall', 'ttl', 'setex', 'getdel', 'xadd', 'xread', 'aclose', 'close', 'blpop', 'brpop', 'eval',
];

const functions: Record<string, FunctionFacts> = {
  'aiohttp.request': awaitableCM('aiohttp.ClientResponse'),
  'asyncpg.connect': co('asyncpg.Connection'),
  'asyncpg.create_pool': val('asyncpg.Pool'),
  'aiofiles.open': awaitableCM('aiofiles.AsyncFile'),
  ...prefixed('aiofiles.os.', coroutines([
    'stat', 'rename', 'renames', 'replace', 'remove', 'unlink', 'mkdir', 'makedirs', 'rmdir', 'removedirs',
    'listdir', 'scandir', 'sendfile', 'symlink', 'readlink', 'access', 'link',
  ])),
  ...prefixed('aiofiles.os.path.', coroutines(['exists', 'isfile', 'isdir', 'getsize', 'getmtime', 'islink'])),
  'redis.asyncio.from_url': val('redis.asyncio.Redis'),
  'anyio.sleep': co(),
  'anyio.sleep_forever': co(),
  'anyio.sleep_until': co(),
  'anyio.open_file': co('anyio.AsyncFile'),
  'anyio.run_process': co(),
  'anyio.open_process': co(),
  'anyio.connect_tcp': co(),
  'anyio.connect_unix': co(),
  'anyio.create_tcp_listener': co(),
  'anyio.wait_all_tasks_blocked': co(),
  'anyio.to_thread.run_sync': { result: 'coroutine', callableArg: 0 },
  'anyio.run': takesCallable(0),
  'anyio.from_thread.run': takesCallable(0),
  'anyio.create_task_group': { result: 'value', type: 'anyio.TaskGroup', asyncOnlyCM: true },
  'trio.sleep': co(),
  'trio.sleep_forever': co(),
  'trio.sleep_until': co(),
  'trio.open_file': co('trio.AsyncFile'),
  'trio.run_process': co(),
  'trio.open_tcp_stream': co(),
  'trio.open_tcp_listeners': co(),
  'trio.serve_tcp': co(),
  'trio.to_thread.run_sync': { result: 'coroutine', callableArg: 0 },
  'trio.run': takesCallable(0),
  'trio.from_thread.run': takesCallable(0),
  'trio.open_nursery': { result: 'value', type: 'trio.Nursery', asyncOnlyCM: true },
  ...prefixed('requests.', Object.fromEntries(HTTP_VERBS.map((v) => [v, blocking('httpx.AsyncClient or aiohttp')]))),
};

const asyncFile: ClassFacts = {
  methods: coroutines(['read', 'write', 'readline', 'readlines', 'writelines', 'flush', 'close', 'seek', 'tell', 'truncate']),
  asyncIterable: true,
};

const classes: Record<string, ClassFacts> = {
  'aiohttp.ClientSession': {
    methods: {
      ...Object.fromEntries(HTTP_VERBS.map((v) => [v, awaitableCM('aiohttp.ClientResponse')])),
      ws_connect: awaitableCM('aiohttp.ClientWebSocketResponse'),
      close: co(),
    },
    asyncOnlyCM: true,
    enterType: 'aiohttp.ClientSession',
  },
  'aiohttp.ClientResponse': { methods: coroutines(['text', 'json', 'read']), attributes: { content: 'aiohttp.StreamReader' } },
  'aiohttp.StreamReader': { methods: coroutines(['read', 'readline', 'readany', 'readexactly', 'readchunk']), asyncIterable: true },
  'aiohttp.ClientWebSocketResponse': {
    methods: coroutines(['send_str', 'send_json', 'send_bytes', 'receive', 'receive_str', 'receive_json', 'close']),
    asyncIterable: true,
  },
  'httpx.AsyncClient': {
    methods: { ...coroutines([...HTTP_VERBS, 'send', 'aclose'], 'httpx.Response') },
    asyncOnlyCM: true,
    enterType: 'httpx.AsyncClient',
  },
  'httpx.Response': { methods: coroutines(['aread', 'aclose']) },
  'asyncpg.Connection': {
    methods: coroutines([
      'execute', 'executemany', 'fetch', 'fetchrow', 'fetchval', 'close', 'prepare', 'copy_from_table',
      'copy_to_table', 'copy_records_to_table', 'set_type_codec', 'reload_schema_state', 'add_listener',
      'remove_listener', 'reset',
    ]),
  },
  'asyncpg.Pool': {
    methods: {
      ...coroutines(['execute', 'executemany', 'fetch', 'fetchrow', 'fetchval', 'close', 'release', 'expire_connections']),
      acquire: awaitableCM('asyncpg.Connection'),
    },
    asyncOnlyCM: true,
    enterType: 'asyncpg.Pool',
  },
  'aiofiles.AsyncFile': asyncFile,
  'anyio.AsyncFile': asyncFile,
  'trio.AsyncFile': asyncFile,
  'redis.asyncio.Redis': { methods: coroutines(REDIS_COMMANDS), asyncOnlyCM: true, enterType: 'redis.asyncio.Redis' },
  'anyio.TaskGroup': { methods: { start: takesCallable(0, 'coroutine'), start_soon: takesCallable(0) }, asyncOnlyCM: true, enterType: 'anyio.TaskGroup' },
  'anyio.Lock': { methods: coroutines(['acquire']), asyncOnlyCM: true },
  'anyio.Semaphore': { methods: coroutines(['acquire']), asyncOnlyCM: true },
  'anyio.Event': { methods: coroutines(['wait']) },
  'trio.Nursery': { methods: { start: takesCallable(0, 'coroutine'), start_soon: takesCallable(0) }, asyncOnlyCM: true, enterType: 'trio.Nursery' },
  'trio.Lock': { methods: coroutines(['acquire']), asyncOnlyCM: true },
  'trio.Semaphore': { methods: coroutines(['acquire']), asyncOnlyCM: true },
  'trio.Event': { methods: coroutines(['wait']) },
  'requests.Session': {
    methods: Object.fromEntries(HTTP_VERBS.map((v) => [v, blocking('httpx.AsyncClient or aiohttp.ClientSession')])),
  },
};

function prefixed(prefix: string, table: Record<string, FunctionFacts>): Record<string, FunctionFacts> {
  const out: Record<string, FunctionFacts> = {};
  for (const [k, v] of Object.entries(table)) out[prefix + k] = v;
  return out;
}

export const librariesTable: LibraryTable = { functions, classes };
