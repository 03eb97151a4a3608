// The adapter ⇄ extension boundary: Loopscope's custom DAP event and requests (docs/protocol.md §2).
// Types only; the adapter produces these records from its task model, the extension mirrors them.
// Nothing here imports vscode or @vscode/debugadapter so both sides and plain tests can use it.

export interface Location { file: string; line: number }

export type WaitKind =
  | 'sleep' | 'task' | 'gather' | 'future' | 'queue.get' | 'queue.put' | 'lock' | 'event'
  | 'condition' | 'semaphore' | 'stream.read' | 'stream.write' | 'socket.read' | 'socket.write'
  | 'subprocess' | 'executor' | 'yield' | 'other';

export interface WaitTarget {
  kind: WaitKind;
  label: string;
  detail?: string;
  untilEpochMs?: number;
  task?: number;
  tasks?: number[];
  future?: number;
  site?: Location;
}

export type TaskState = 'running' | 'ready' | 'waiting' | 'done' | 'failed' | 'cancelled';

export interface TaskRecord {
  id: number;
  name: string;
  coro: string;
  state: TaskState;
  parentId: number | null;
  createdAt: Location | null;
  loop: number;
  thread: number | null;
  steps: number;
  busyMs: number;
  waitingOn: WaitTarget | null;
  wokenBy: { task?: number; label: string } | null;
  exception: { type: string; message: string; location?: Location | null } | null;
  result: string | null;
  cancelledBy: { task: number | null; location: Location | null } | null;
  eager: boolean;
  doneAt: number | null;
}

export interface LoopRecord {
  id: number;
  thread: { id: number; name: string };
  cls: string;
  tickControl: boolean;
  tick: number;
  ready: number;
  timers: number;
  paused: boolean;
  closed: boolean;
}

export interface FutureRecord {
  id: number;
  loop: number;
  label: string;
  site: Location | null;
  awaitedBy: number[];
}

export type FindingKind = 'never-awaited' | 'blocking-call' | 'unretrieved-exception' | 'destroyed-pending' | 'stall';

export interface Frame {
  id: number;
  name: string;
  file: string;
  line: number;
  kind: 'coroutine' | 'async_generator' | 'generator' | 'function';
  internal: boolean;
}

export interface FindingRecord {
  id: number;
  kind: FindingKind;
  message: string;
  location: Location | null;
  taskId: number | null;
  durationMs: number | null;
  chains?: { task: number; frames: Frame[] }[];
}

export interface StatusRecord {
  tick: number;
  tasksLive: number;
  tasksTotal: number;
  ready: number;
  paused: boolean;
  pauseDescription: string | null;
  dropped: number;
}

export interface UpdateEventBody {
  seq: number;
  reset: boolean;
  loops: LoopRecord[];
  tasks: TaskRecord[];
  futures: FutureRecord[];
  removedFutures: number[];
  /** Finished tasks the adapter evicted under bounded retention (counts stay exact in status). */
  removedTasks?: number[];
  findings: FindingRecord[];
  status: StatusRecord;
}

export const UPDATE_EVENT = 'loopscope/update';

export interface SnapshotBody {
  loops: LoopRecord[];
  tasks: TaskRecord[];
  futures: FutureRecord[];
  findings: FindingRecord[];
  status: StatusRecord;
}

/** Custom request name → [arguments, response body]. */
export interface CustomRequests {
  'loopscope/snapshot': [Record<string, never>, SnapshotBody];
  'loopscope/cancelTask': [{ taskId: number }, { cancelled: boolean }];
  'loopscope/runUntilTaskSteps': [{ taskId: number }, Record<string, never>];
  'loopscope/stepTick': [Record<string, never>, Record<string, never>];
  'loopscope/stepCallback': [Record<string, never>, Record<string, never>];
  'loopscope/pauseLoop': [Record<string, never>, Record<string, never>];
  'loopscope/continueLoop': [Record<string, never>, Record<string, never>];
  'loopscope/exportTrace': [{ path?: string }, { trace?: unknown; path?: string }];
  'loopscope/awaitChain': [{ taskId: number }, { frames: Frame[] }];
}
export type CustomRequestName = keyof CustomRequests;

/** Launch configuration attributes of the `loopscope` debug type. */
export interface LaunchArguments {
  program?: string;
  module?: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string | null>;
  python?: string;
  stopOnEntry?: boolean;
  justMyCode?: boolean;
  blockingThresholdMs?: number;
  console?: 'internalConsole' | 'integratedTerminal';
  /** Record every task step and tick so `loopscope/exportTrace` has slices. Default true; false saves ~7-13 µs per task step. */
  trace?: boolean;
}

export interface AttachArguments {
  host?: string;
  port: number;
  token?: string;
  tokenFile?: string;
  justMyCode?: boolean;
}
