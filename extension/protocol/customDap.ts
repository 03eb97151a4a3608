// The adapter ⇄ extension boundary: Loopscope's custom DAP event and requests (docs/protocol.md §2).
// The records, event and request types are generated from protocol/schema.json into
// customDap.generated.ts (re-exported here); launch/attach attributes stay hand-written. Nothing
// here imports vscode or @vscode/debugadapter so both sides and plain tests can use it.

export * from './customDap.generated';
export type { Location, WaitKind, WaitTarget, FindingKind, Frame } from './wire.generated';
export { FINDING_KINDS } from './wire.generated';

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
