// Pure resolution of `loopscope` debug configurations: what F5 on a Python file with no
// launch.json starts, which interpreter and thresholds apply, and clear errors for configurations
// that cannot work. No vscode import, so it is unit-tested directly; debugConfig.ts wires it.

import type { AttachArguments, LaunchArguments } from '../protocol/customDap';

export const DEBUG_TYPE = 'loopscope';

export interface LoopscopeSettings {
  /** Explicit interpreter from `loopscope.python`; empty means "ask the Python extension". */
  python: string;
  blockingThresholdMs: number;
  justMyCode: boolean;
}

export interface ResolveContext {
  settings: LoopscopeSettings;
  /** The interpreter selected in the Python extension, when it is installed and has one. */
  pythonFromExtension?: string;
  /** The active editor's file, when there is one. */
  activeFile?: { path: string; languageId: string; isUntitled: boolean };
}

export type DebugConfig = Record<string, unknown> & { type?: string; request?: string; name?: string };

export type Resolution = { config: DebugConfig } | { error: string };

export function currentFileConfiguration(program: string): DebugConfig {
  return { type: DEBUG_TYPE, request: 'launch', name: 'Loopscope: Current File', program, stopOnEntry: false };
}

/** The interpreter precedence: launch.json, then `loopscope.python`, then the Python extension, then python3. */
export function pickPython(configured: unknown, ctx: ResolveContext): string {
  if (typeof configured === 'string' && configured.trim()) return configured;
  if (ctx.settings.python.trim()) return ctx.settings.python;
  if (ctx.pythonFromExtension?.trim()) return ctx.pythonFromExtension;
  return 'python3';
}

export function resolveConfiguration(input: DebugConfig, ctx: ResolveContext): Resolution {
  let config: DebugConfig = { ...input };
  if (!config.type && !config.request && !config.name) {
    // F5 without launch.json: debug the active Python file.
    const file = ctx.activeFile;
    if (!file || file.languageId !== 'python') {
      return { error: 'Open a Python file to debug it with Loopscope, or add a "loopscope" configuration to launch.json.' };
    }
    if (file.isUntitled) return { error: 'Save this Python file before debugging it with Loopscope.' };
    config = currentFileConfiguration(file.path);
  }
  config.type = DEBUG_TYPE;
  config.name ??= 'Loopscope';
  if (config.request === 'attach') return resolveAttach(config, ctx);
  if (config.request !== 'launch') {
    return { error: `Loopscope configuration "${config.name}" needs "request": "launch" or "attach" (got ${JSON.stringify(config.request)}).` };
  }
  const launch = config as DebugConfig & LaunchArguments;
  if (!launch.program && !launch.module) {
    return { error: `Loopscope configuration "${config.name}" needs "program" (a .py file) or "module" (like "python -m").` };
  }
  if (launch.program && launch.module) {
    return { error: `Loopscope configuration "${config.name}" sets both "program" and "module"; keep one.` };
  }
  if (launch.args !== undefined && (!Array.isArray(launch.args) || launch.args.some((a) => typeof a !== 'string'))) {
    return { error: `"args" in "${config.name}" must be an array of strings, e.g. ["--verbose"].` };
  }
  launch.python = pickPython(launch.python, ctx);
  launch.blockingThresholdMs = validThreshold(launch.blockingThresholdMs) ?? ctx.settings.blockingThresholdMs;
  launch.justMyCode ??= ctx.settings.justMyCode;
  return { config };
}

function resolveAttach(config: DebugConfig, ctx: ResolveContext): Resolution {
  const attach = config as DebugConfig & AttachArguments;
  if (typeof attach.port !== 'number' || !Number.isInteger(attach.port) || attach.port < 1 || attach.port > 65535) {
    return { error: `Loopscope attach configuration "${config.name}" needs "port": the port the program passed to loopscope.listen() (1–65535).` };
  }
  attach.host ??= '127.0.0.1';
  attach.justMyCode ??= ctx.settings.justMyCode;
  return { config };
}

function validThreshold(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
