// The `loopscope/*` custom DAP requests (Async Tasks view, toolbar commands, tests): snapshot, task
// actions, scheduler stepping (Step Tick / Step Callback, also from a line stop), trace export.
// The session hands each request here with the domain objects it needs.

import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CustomRequestName } from '../protocol/customDap';
import { buildTrace } from '../model/trace';
import type { DebugTarget } from '../core/target';
import type { Stepper } from '../core/stepper';
import type { LineDebugger } from '../core/lineDebugger';

export interface CustomContext {
  target: DebugTarget;
  stepper: Stepper;
  lines: LineDebugger;
  /** Frame/variable handles die and the focus is forgotten: the program runs again. */
  resumed(): void;
  /** The loop of a DAP thread (task or loop thread). */
  loopOf(threadId: number | undefined): number | undefined;
  /** Tells the client every thread runs again (the view's own Continue does not go through DAP continue). */
  allContinued(): void;
  /** Selects a stopped task's thread in the Call Stack; false when it cannot be (running, or no such thread). */
  focusTask(taskId: number): boolean;
}

/** Every custom request, keyed so that the compiler insists on a new one from the schema. */
const CUSTOM_REQUESTS: Readonly<Record<CustomRequestName, true>> = {
  'loopscope/snapshot': true, 'loopscope/cancelTask': true, 'loopscope/runUntilTaskSteps': true, 'loopscope/stepTick': true,
  'loopscope/stepCallback': true, 'loopscope/pauseLoop': true, 'loopscope/continueLoop': true, 'loopscope/exportTrace': true,
  'loopscope/awaitChain': true, 'loopscope/focusTask': true,
};
export const isCustomRequest = (command: string): command is CustomRequestName => Object.hasOwn(CUSTOM_REQUESTS, command);

export async function customRequest(ctx: CustomContext, command: CustomRequestName, args: Record<string, unknown>): Promise<unknown> {
  const { target, stepper } = ctx;
  const taskId = (): number => {
    if (typeof args.taskId !== 'number') throw new Error(`${command} needs a numeric "taskId"`);
    return args.taskId;
  };
  const loop = typeof args.threadId === 'number' ? ctx.loopOf(args.threadId) : undefined;
  switch (command) {
    case 'loopscope/snapshot': return target.model.snapshot();
    case 'loopscope/cancelTask': return target.request('cancelTask', { task: taskId() });
    // A custom request that resumes the program says so with a `continued` event (a client cannot
    // know it from the request, as it does for DAP's own `next`): every thread's old stop reason is
    // cleared then, and the stop that ends the step is announced by its one `stopped` event.
    case 'loopscope/runUntilTaskSteps': {
      const task = taskId();
      ctx.resumed();
      ctx.allContinued();
      await stepper.runUntilTaskSteps(task);
      return {};
    }
    case 'loopscope/stepTick':
    case 'loopscope/stepCallback':
      ctx.resumed();
      ctx.allContinued();
      await schedulerStep(ctx, command === 'loopscope/stepTick' ? 'tick' : 'callback', loop);
      return {};
    case 'loopscope/pauseLoop': await stepper.pause(); return {};
    case 'loopscope/focusTask': return { focused: ctx.focusTask(taskId()) };
    case 'loopscope/continueLoop':
      ctx.resumed();
      if (ctx.lines.active) await ctx.lines.resumeAll();
      await stepper.continue();
      ctx.allContinued();
      return {};
    case 'loopscope/exportTrace': {
      const trace = buildTrace(target.model);
      if (typeof args.path === 'string') {
        // Relative to what? The adapter's working directory is nothing the user chose.
        if (!path.isAbsolute(args.path)) throw new Error(`${command} needs an absolute "path" to write the trace to, not ${JSON.stringify(args.path)}`);
        writeFileSync(args.path, JSON.stringify(trace));
        return { path: args.path };
      }
      return { trace };
    }
    case 'loopscope/awaitChain': return target.request('awaitChain', { task: taskId() });
    default: throw new Error(`unknown request ${command as string}`);
  }
}

/**
 * One tick / one callback. From a line stop the loop is frozen inside a step: the step runs to its
 * end and the loop holds at that tick boundary (ask it to pause, then let the stop go).
 */
async function schedulerStep(ctx: CustomContext, kind: 'tick' | 'callback', loop: number | undefined): Promise<void> {
  const stop = ctx.lines.latest;
  if (stop) {
    await ctx.stepper.pause(stop.loop ?? loop);
    await ctx.lines.resume(stop, 'continue');
    return;
  }
  if (kind === 'tick') await ctx.stepper.stepTick(loop);
  else await ctx.stepper.stepCallback(loop);
}
