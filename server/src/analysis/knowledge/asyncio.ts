// Knowledge of the standard library's asyncio (tasks, streams, subprocess, sync primitives, loop)
// plus the blocking standard-library calls that must not run inside `async def`.
import { ClassFacts, co, coroutines, FunctionFacts, LibraryTable, takesCallable, val } from './types';

const consumer = (result: FunctionFacts['result'] = 'value', type?: string): FunctionFacts => ({
  result,
  type,
  consumesAwaitables: true,
});

const functions: Record<string, FunctionFacts> = {
  'asyncio.sleep': co(),
  'asyncio.wait_for': consumer('coroutine'),
  'asyncio.wait': consumer('coroutine'),
  'asyncio.gather': consumer('value'),
  'asyncio.shield': consumer('value'),
  'asyncio.as_completed': consumer('value'),
  'asyncio.create_task': consumer('task', 'asyncio.Task'),
  'asyncio.ensure_future': consumer('task', 'asyncio.Task'),
  'asyncio.run': consumer('value'),
  'asyncio.run_coroutine_threadsafe': consumer('value'),
  'asyncio.to_thread': { result: 'coroutine', callableArg: 0 },
  'asyncio.open_connection': { result: 'coroutine', tupleTypes: ['asyncio.StreamReader', 'asyncio.StreamWriter'] },
  'asyncio.open_unix_connection': { result: 'coroutine', tupleTypes: ['asyncio.StreamReader', 'asyncio.StreamWriter'] },
  'asyncio.start_server': co('asyncio.Server'),
  'asyncio.start_unix_server': co('asyncio.Server'),
  'asyncio.create_subprocess_exec': co('asyncio.subprocess.Process'),
  'asyncio.create_subprocess_shell': co('asyncio.subprocess.Process'),
  'asyncio.staggered.staggered_race': co(),
  'asyncio.timeout': { result: 'value', type: 'asyncio.Timeout', asyncOnlyCM: true },
  'asyncio.timeout_at': { result: 'value', type: 'asyncio.Timeout', asyncOnlyCM: true },
  'asyncio.get_event_loop': val('asyncio.AbstractEventLoop'),
  'asyncio.get_running_loop': val('asyncio.AbstractEventLoop'),
  'asyncio.new_event_loop': val('asyncio.AbstractEventLoop'),
  'asyncio.current_task': val('asyncio.Task'),

  // Blocking calls (flagged inside async def).
  'time.sleep': { result: 'value', blocking: { replacement: 'await asyncio.sleep(...)' } },
  'urllib.request.urlopen': { result: 'value', blocking: { replacement: 'aiohttp or httpx.AsyncClient' } },
  'subprocess.run': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_exec(...)' } },
  'subprocess.call': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_exec(...)' } },
  'subprocess.check_call': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_exec(...)' } },
  'subprocess.check_output': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_exec(...)' } },
  'subprocess.getoutput': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_shell(...)' } },
  'subprocess.getstatusoutput': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_shell(...)' } },
  'os.system': { result: 'value', blocking: { replacement: 'await asyncio.create_subprocess_shell(...)' } },
  'builtins.input': { result: 'value', blocking: { replacement: 'await asyncio.to_thread(input, ...)' } },
};

const lockLike = (extra: string[] = []): ClassFacts => ({
  methods: { ...coroutines(['acquire', ...extra]) },
  asyncOnlyCM: true,
});

const loopMethods: Record<string, FunctionFacts> = {
  ...coroutines([
    'sock_recv', 'sock_recv_into', 'sock_recvfrom', 'sock_recvfrom_into', 'sock_sendall', 'sock_sendto',
    'sock_connect', 'sock_accept', 'sock_sendfile', 'getaddrinfo', 'getnameinfo', 'create_connection',
    'create_server', 'create_unix_connection', 'create_unix_server', 'create_datagram_endpoint',
    'connect_accepted_socket', 'connect_read_pipe', 'connect_write_pipe', 'subprocess_exec',
    'subprocess_shell', 'shutdown_asyncgens', 'shutdown_default_executor', 'sendfile', 'start_tls',
  ]),
  create_task: consumer('task', 'asyncio.Task'),
  run_until_complete: consumer('value'),
  call_soon: takesCallable(0),
  call_soon_threadsafe: takesCallable(0),
  call_later: takesCallable(1),
  call_at: takesCallable(1),
  run_in_executor: takesCallable(1),
};

const classes: Record<string, ClassFacts> = {
  'asyncio.StreamReader': {
    methods: coroutines(['read', 'readline', 'readexactly', 'readuntil']),
    asyncIterable: true,
  },
  'asyncio.StreamWriter': { methods: coroutines(['drain', 'wait_closed', 'start_tls']) },
  'asyncio.Server': {
    methods: coroutines(['wait_closed', 'start_serving', 'serve_forever']),
    asyncOnlyCM: true,
    enterType: 'asyncio.Server',
  },
  'asyncio.subprocess.Process': {
    methods: coroutines(['wait', 'communicate']),
    attributes: { stdout: 'asyncio.StreamReader', stderr: 'asyncio.StreamReader', stdin: 'asyncio.StreamWriter' },
  },
  'asyncio.Queue': { methods: coroutines(['get', 'put', 'join']) },
  'asyncio.PriorityQueue': { methods: coroutines(['get', 'put', 'join']) },
  'asyncio.LifoQueue': { methods: coroutines(['get', 'put', 'join']) },
  'asyncio.Lock': lockLike(),
  'asyncio.Semaphore': lockLike(),
  'asyncio.BoundedSemaphore': lockLike(),
  'asyncio.Condition': lockLike(['wait', 'wait_for']),
  'asyncio.Event': { methods: coroutines(['wait']) },
  'asyncio.Barrier': { methods: coroutines(['wait', 'reset', 'abort']), asyncOnlyCM: true },
  'asyncio.TaskGroup': {
    methods: { create_task: consumer('value', 'asyncio.Task') },
    asyncOnlyCM: true,
    enterType: 'asyncio.TaskGroup',
  },
  'asyncio.Timeout': { methods: {}, asyncOnlyCM: true },
  'asyncio.AbstractEventLoop': { methods: loopMethods },
  'asyncio.BaseEventLoop': { methods: loopMethods },
  'asyncio.Task': { methods: {} },
  'asyncio.Runner': { methods: { run: consumer('value') } },
};

export const asyncioTable: LibraryTable = { functions, classes };
