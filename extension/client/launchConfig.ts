// Pure resolution of `loopscope` debug configurations: what F5 on a Python file with no
// launch.json starts, which interpreter and thresholds apply, and clear errors for configurations
// that cannot work. No vscode import, so it is unit-tested directly; debugConfig.ts wires it.

import type { AttachArguments, LaunchArguments } from '../protocol/customDap';

export const DEBUG_TYPE = 'loopscope';

export interface LoopscopeSettings {
  /** Explicit interpreter from `loopscope.python`; empty means "ask the Python extension". */
  python: string;
  /** Where `python` was set, e.g. "User settings" or "Workspace settings" (for error messages). */
  pythonScope?: string;
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
  return choosePython(configured, ctx, 'Loopscope').python;
}

/**
 * The interpreter and a phrase naming where it came from, written to complete "set … to a Python
 * 3.9+ interpreter" in error messages, so the user fixes the right place.
 */
export function choosePython(configured: unknown, ctx: ResolveContext, configName: string): { python: string; source: string } {
  if (typeof configured === 'string' && configured.trim()) {
    return { python: configured, source: `"python" in launch configuration "${configName}"` };
  }
  if (ctx.settings.python.trim()) {
    return { python: ctx.settings.python, source: `loopscope.python in your ${ctx.settings.pythonScope ?? 'settings'}` };
  }
  if (ctx.pythonFromExtension?.trim()) {
    return {
      python: ctx.pythonFromExtension,
      source: 'loopscope.python (the value came from the interpreter selected in the Python extension; or pick another with "Python: Select Interpreter")',
    };
  }
  return { python: 'python3', source: 'loopscope.python (none is set, so "python3" on PATH was used)' };
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
  const wrong = wrongLaunchValue(launch, String(config.name));
  if (wrong) return { error: wrong };
  if (launch.blockingThresholdMs === undefined && validThreshold(ctx.settings.blockingThresholdMs) === undefined) {
    return { error: `The user setting "loopscope.blockingThresholdMs" must be a positive number of milliseconds, like 100; got ${JSON.stringify(ctx.settings.blockingThresholdMs)}.` };
  }
  const python = choosePython(launch.python, ctx, String(config.name));
  launch.python = python.python;
  // Also tells the adapter how to name the interpreter's source in its own errors.
  config.pythonSource = python.source;
  launch.blockingThresholdMs = validThreshold(launch.blockingThresholdMs) ?? ctx.settings.blockingThresholdMs;
  launch.justMyCode ??= ctx.settings.justMyCode;
  return { config };
}

function resolveAttach(config: DebugConfig, ctx: ResolveContext): Resolution {
  const attach = config as DebugConfig & AttachArguments;
  if (typeof attach.port !== 'number' || !Number.isInteger(attach.port) || attach.port < 1 || attach.port > 65535) {
    return { error: `Loopscope attach configuration "${config.name}" needs "port" in launch.json: the port the program passed to loopscope.listen(), a whole number from 1 to 65535; got ${JSON.stringify(attach.port) ?? 'nothing'}.` };
  }
  attach.host ??= '127.0.0.1';
  attach.justMyCode ??= ctx.settings.justMyCode;
  return { config };
}

/** The first launch.json value of the wrong type or range, as one message naming it; else null. */
function wrongLaunchValue(launch: DebugConfig & LaunchArguments, name: string): string | null {
  const where = (k: string): string => `"${k}" in launch.json configuration "${name}"`;
  if (launch.args !== undefined && (!Array.isArray(launch.args) || launch.args.some((a) => typeof a !== 'string'))) {
    const hint = typeof launch.args === 'string' ? JSON.stringify((launch.args as string).trim().split(/\s+/)) : '["--verbose"]';
    return `${where('args')} must be an array of strings, one per argument, like ${hint}.`;
  }
  const env: unknown = launch.env;
  if (env !== undefined && (typeof env !== 'object' || env === null || Array.isArray(env)
    || Object.values(env).some((v) => v !== null && typeof v !== 'string'))) {
    return `${where('env')} must be an object of variable names to strings (null removes one), like {"DEBUG": "1"}; got ${JSON.stringify(env)}.`;
  }
  for (const k of ['program', 'module', 'cwd', 'python'] as const) {
    if (launch[k] !== undefined && typeof launch[k] !== 'string') return `${where(k)} must be a string; got ${JSON.stringify(launch[k])}.`;
  }
  if (launch.blockingThresholdMs !== undefined && validThreshold(launch.blockingThresholdMs) === undefined) {
    return `${where('blockingThresholdMs')} must be a positive number of milliseconds, like 100; got ${JSON.stringify(launch.blockingThresholdMs)}.`;
  }
  return null;
}

function validThreshold(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
