// Owns the five Loopscope rules. Each finding points at the exact expression and carries what the
// quick fixes need. The bar is zero false alarms: every branch that cannot prove misuse says "ok".
import { awaitabilityOf } from './annotations';
import { FileContext, parameterFor } from './infer';
import { Scope } from './scopes';
import { child, namedChildren, PyNode } from './syntax';
import { Ty } from './workspace';
import { SYNC_VALUE_BUILTINS } from './knowledge';

export type RuleCode = 'never-awaited' | 'coroutine-in-condition' | 'coroutine-misused' | 'dangling-task' | 'blocking-call-in-async';
export const RULE_CODES: readonly RuleCode[] = ['never-awaited', 'coroutine-in-condition', 'coroutine-misused', 'dangling-task', 'blocking-call-in-async'];

export type FixHint =
  | { kind: 'add-await'; node: PyNode; parens: boolean }
  | { kind: 'wrap-run'; node: PyNode }
  | { kind: 'keep-task'; stmt: PyNode; call: PyNode; variable?: string; fresh: string }
  | { kind: 'replace-sleep'; call: PyNode; parens: boolean; framework: 'asyncio' | 'trio' | 'anyio' }
  /** Turn a sync `with` / `for` into `async with` / `async for`. */
  | { kind: 'make-async'; stmt: PyNode }
  /** Pass the coroutine function and its arguments instead of a coroutine object. */
  | { kind: 'pass-function'; call: PyNode };

export interface Finding {
  code: RuleCode;
  /** The flagged expression; `start`/`end` mirror its offsets (refreshed when reused after edits). */
  node: PyNode;
  start: number;
  end: number;
  message: string;
  fixes: FixHint[];
}

type Use =
  | { k: 'ok' }
  | { k: 'dropped'; stmt: PyNode }
  | { k: 'named'; name: string; target: PyNode; stmt: PyNode; container?: boolean }
  | { k: 'condition' }
  | { k: 'misuse'; why: string }
  /** `return <coroutine>` from an `async def` whose declared return type cannot be awaitable. */
  | { k: 'returned'; why: string };

const OK: Use = { k: 'ok' };
const COROUTINE_ATTRS = new Set(['close', 'send', 'throw', '__await__', 'cr_frame', 'cr_code', 'cr_running', 'cr_await', 'cr_suspended', 'cr_origin', '__name__', '__qualname__', '__class__', '__del__', '__repr__', 'gi_frame', 'gi_code', '__aenter__', '__aexit__', '__enter__', '__exit__']);
const LOOPS = new Set(['for_statement', 'while_statement']);

/** Per top-level statement findings, valid while the environment key is unchanged. */
export type RuleCache = WeakMap<PyNode, { env: string; findings: Finding[] }>;

export function checkFile(ctx: FileContext, cache?: RuleCache, env = ''): Finding[] {
  const out: Finding[] = [];
  for (const stmt of ctx.root.children) {
    const hit = cache?.get(stmt);
    if (hit && hit.env === env) {
      for (const f of hit.findings) {
        f.start = f.node.start;
        f.end = f.node.end;
        out.push(f);
      }
      continue;
    }
    const found: Finding[] = [];
    const seen = new Set<string>();
    const push = (f: Finding) => {
      const key = `${f.code}:${f.start}:${f.end}`;
      if (seen.has(key)) return;
      seen.add(key);
      found.push(f);
    };
    let expectingFailure = 0;
    const pushUnlessExpected = (f: Finding) => {
      // Inside `with self.assertRaises(...)` / `pytest.raises(...)` the call is meant to fail
      // (bad arguments, closed loop, "never awaited" warnings under test): only blocking calls count.
      if (expectingFailure > 0 && f.code !== 'blocking-call-in-async') return;
      push(f);
    };
    const walk = (n: PyNode) => {
      if (n.type === 'call') checkCall(ctx, n, pushUnlessExpected);
      else if (n.type === 'with_statement') checkWith(ctx, n, pushUnlessExpected);
      else if (n.type === 'for_statement') checkFor(ctx, n, pushUnlessExpected);
      const expects = n.type === 'with_statement' && expectsFailure(ctx, n);
      if (expects) expectingFailure++;
      for (const c of n.children) walk(c);
      if (expects) expectingFailure--;
    };
    walk(stmt);
    const kept = found.filter((f) => !insideBrokenStatement(ctx.root, f));
    cache?.set(stmt, { env, findings: kept });
    out.push(...kept);
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

const FAILURE_EXPECTATIONS = /(?:^|\.)(?:assertRaises|assertRaisesRegex|assertWarns|assertWarnsRegex|raises|warns|deprecated_call|check_warnings)$/;

function expectsFailure(ctx: FileContext, withStmt: PyNode): boolean {
  const clause = withStmt.children.find((c) => c.type === 'with_clause');
  for (const item of clause ? namedChildren(clause) : []) {
    let v = child(item, 'value');
    if (v?.type === 'as_pattern') v = namedChildren(v)[0];
    const f = v?.type === 'call' ? child(v, 'function') : undefined;
    if (f && FAILURE_EXPECTATIONS.test(ctx.t(f))) return true;
  }
  return false;
}

/** Findings inside a statement that failed to parse are dropped: the tree there is a guess. */
function insideBrokenStatement(root: PyNode, f: Finding): boolean {
  let n: PyNode | undefined = root;
  for (;;) {
    const next: PyNode | undefined = n.children.find((c) => c.start <= f.start && c.end >= f.end);
    if (!next) return false;
    if (next.type === 'ERROR' || (next.error && (n.type === 'block' || n.type === 'module') && !hasBlock(next))) return true;
    if (next.type === 'ERROR') return true;
    n = next;
  }
}

function hasBlock(n: PyNode): boolean {
  return n.children.some((c) => c.type === 'block' || c.type.endsWith('_clause'));
}

function describe(ctx: FileContext, n: PyNode): string {
  const s = ctx.t(n).replace(/\s+/g, ' ');
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** The framework whose sleep replaces time.sleep: trio or anyio when imported without asyncio. */
function sleepFramework(ctx: FileContext): 'asyncio' | 'trio' | 'anyio' | undefined {
  const roots = new Set([...ctx.module.imports.values()].map((target) => target.split('.')[0]));
  const others = (['trio', 'anyio'] as const).filter((f) => roots.has(f));
  if (!others.length) return 'asyncio';
  return others.length === 1 && !roots.has('asyncio') ? others[0] : undefined;
}

function checkCall(ctx: FileContext, call: PyNode, push: (f: Finding) => void): void {
  const fnNode = child(call, 'function');
  if (!fnNode) return;
  const fnTy = ctx.typeOf(fnNode);
  if (!fnTy) return;
  if (fnTy.k === 'func' && fnTy.facts?.blocking) {
    const owner = enclosingFunction(call);
    if (owner && owner.type === 'function_definition' && isAsyncDef(owner)) {
      const isSleep = fnTy.q === 'time.sleep' || /(^|\.)time\.sleep$/.test(fnTy.q);
      // A sleep is replaced by the running framework's own; with two imported, none is named.
      const framework = isSleep ? sleepFramework(ctx) : 'asyncio';
      const advice = framework ? (isSleep ? `await ${framework}.sleep(...)` : fnTy.facts.blocking.replacement) : "the async sleep of the framework that runs this code";
      push({
        code: 'blocking-call-in-async',
        node: call,
        start: call.start,
        end: call.end,
        message: `\`${ctx.t(fnNode)}()\` blocks the event loop inside \`async def\`; use ${advice}`,
        fixes: isSleep && framework ? [{ kind: 'replace-sleep', call, parens: needsParens(call), framework }] : [],
      });
    }
  }
  const result = ctx.typeOf(call);
  if (!result) return;
  if (result.k === 'awaitable') checkAwaitableUse(ctx, call, `${describe(ctx, call)}`, push, result);
  else if (result.k === 'task' && fnTy.k === 'func' && fnTy.facts) checkTaskUse(ctx, call, push);
}

type AwaitableTy = Extract<Ty, { k: 'awaitable' }>;

function checkAwaitableUse(ctx: FileContext, expr: PyNode, what: string, push: (f: Finding) => void, ty: AwaitableTy): void {
  const use = useOf(ctx, expr);
  // Declared or inferred as "maybe an awaitable" (a union): only dropping it is certainly wrong.
  if (ty.maybe && use.k !== 'dropped' && use.k !== 'named') return;
  reportUse(ctx, expr, what, use, push, true, ty);
}

function reportUse(ctx: FileContext, expr: PyNode, what: string, use: Use, push: (f: Finding) => void, followName: boolean, ty?: AwaitableTy): void {
  const kind = ty?.kind ?? 'coroutine';
  const Noun = ty?.noun === 'awaitable' ? 'Awaitable' : 'Coroutine';
  const awaitFix = (at: PyNode = expr): FixHint[] => {
    if (use.k === 'misuse' && use.why.includes('expects a function')) return passFunctionFix(at);
    // `with session.get(url) as r:` wants `async with`, not `with await ...`.
    const withStmt = use.k === 'misuse' && kind === 'awaitable-cm' ? enclosingWith(at) : undefined;
    if (withStmt) return canAwaitAt(withStmt) ? [{ kind: 'make-async', stmt: withStmt }] : [];
    return canAwaitAt(at) ? [{ kind: 'add-await', node: at, parens: needsParens(at) }] : [];
  };
  switch (use.k) {
    case 'ok':
      return;
    case 'returned':
      push({ code: 'never-awaited', node: expr, start: expr.start, end: expr.end, message: `${Noun} \`${what}\` is ${use.why}; it is never awaited`, fixes: awaitFix() });
      return;
    case 'condition':
      push({ code: 'coroutine-in-condition', node: expr, start: expr.start, end: expr.end, message: `${Noun} \`${what}\` is always true in a condition; it is never awaited`, fixes: awaitFix() });
      return;
    case 'misuse':
      push({ code: 'coroutine-misused', node: expr, start: expr.start, end: expr.end, message: `${Noun} \`${what}\` is ${use.why} without being awaited`, fixes: awaitFix() });
      return;
    case 'dropped': {
      const fixes = awaitFix();
      const scope = ctx.scopeOf(expr);
      if (!fixes.length && scope.isModule && use.stmt.type === 'expression_statement' && namedChildren(use.stmt).length === 1 && namedChildren(use.stmt)[0] === expr) {
        fixes.push({ kind: 'wrap-run', node: expr });
      }
      push({ code: 'never-awaited', node: expr, start: expr.start, end: expr.end, message: `${Noun} \`${what}\` is created but never awaited`, fixes });
      return;
    }
    case 'named': {
      if (!followName) return;
      const scope = ctx.scopeOf(expr);
      const verdict = nameVerdict(ctx, scope, use);
      if (verdict === 'unused') {
        push({
          code: 'never-awaited',
          node: expr,
          start: expr.start,
          end: expr.end,
          message: use.name === '_' ? `${Noun} \`${what}\` is assigned to \`_\` and never awaited` : `${Noun} \`${what}\` is assigned to \`${use.name}\` but never awaited or used`,
          fixes: awaitFix(),
        });
        return;
      }
      if (verdict === 'single' && !use.container && !ty?.maybe) {
        // The name always holds this coroutine: each read is checked like the call itself.
        const loads = ctx.scopeOf(expr).loads.get(use.name) ?? [];
        // A bare `name` statement drops it too, when no other read awaits or keeps it.
        const onlyBare = loads.every((l) => isBareStatement(l));
        for (const load of loads) {
          if (load.start < use.stmt.end || ctx.scopeOf(load) !== scope || inLambdaOrComprehension(load, scope.node)) continue;
          const u = useOf(ctx, load);
          if (u.k === 'condition' || u.k === 'misuse' || u.k === 'returned') reportUse(ctx, load, use.name, u, push, false, ty);
          else if (u.k === 'dropped' && onlyBare) {
            push({ code: 'never-awaited', node: load, start: load.start, end: load.end, message: `${Noun} \`${use.name}\` (from \`${what}\`) is evaluated as a statement but never awaited`, fixes: awaitFix(load) });
          }
        }
      }
      return;
    }
  }
}

/** `unused`: the coroutine is dropped; `single`: name bound once, reads can be checked; `other`: give up. */
function nameVerdict(ctx: FileContext, scope: Scope, use: Extract<Use, { k: 'named' }>): 'unused' | 'single' | 'other' {
  if (use.name === '_') return scope.isModule || !(scope.loads.get('_')?.length) ? 'unused' : 'other';
  if (scope.isModule || scope.dynamic || scope.declaredNonLocal.has(use.name)) return 'other';
  if (scope.node.type === 'class_definition') return 'other';
  const loads = scope.loads.get(use.name) ?? [];
  const loop = enclosingLoop(use.stmt, scope.node);
  const used = loads.some((l) => l.start >= use.stmt.end || ctx.scopeOf(l) !== scope || (loop && l.start >= loop.start && l.end <= loop.end));
  if (!used) return 'unused';
  const b = scope.single(use.name);
  return b && b.target === use.target ? 'single' : 'other';
}

function isBareStatement(n: PyNode): boolean {
  let p = n.parent;
  while (p?.type === 'parenthesized_expression') p = p.parent;
  return p?.type === 'expression_statement' && namedChildren(p).length === 1;
}

function enclosingLoop(n: PyNode, stop: PyNode): PyNode | undefined {
  for (let p = n.parent; p && p !== stop; p = p.parent) if (LOOPS.has(p.type)) return p;
  return undefined;
}

function inLambdaOrComprehension(n: PyNode, stop: PyNode): boolean {
  for (let p = n.parent; p && p !== stop; p = p.parent) {
    if (p.type === 'lambda' || p.type.endsWith('comprehension') || p.type === 'generator_expression') return true;
  }
  return false;
}

/** How the value of `node` is used by its surroundings. */
function useOf(ctx: FileContext, node: PyNode): Use {
  const p = node.parent;
  if (!p) return OK;
  switch (p.type) {
    case 'parenthesized_expression':
      return useOf(ctx, p);
    case 'return_statement':
      return returnedUse(ctx, p);
    case 'keyword_argument': {
      const call = p.parent?.type === 'argument_list' ? p.parent.parent : undefined;
      return node.field === 'value' && call ? parameterUse(ctx, call, node) : OK;
    }
    case 'await':
    case 'yield':
    case 'lambda':
    case 'list_splat':
    case 'dictionary_splat':
    case 'interpolation':
      return OK;
    case 'expression_statement':
      return { k: 'dropped', stmt: p };
    case 'assignment':
      return assignedUse(ctx, node, p);
    case 'augmented_assignment':
      return node.field === 'right' ? { k: 'misuse', why: 'used in arithmetic' } : OK;
    case 'named_expression':
      return walrusUse(ctx, node, p);
    case 'expression_list':
    case 'tuple':
      return tupleItemUse(ctx, node, p);
    case 'list':
    case 'set':
    case 'list_comprehension':
    case 'set_comprehension':
    case 'dictionary':
    case 'dictionary_comprehension':
      if (p.type.endsWith('comprehension') && node.field !== 'body') return OK;
      return containerUse(ctx, p);
    case 'pair':
      return node.field === 'value' && p.parent ? containerUse(ctx, p.parent) : OK;
    case 'generator_expression':
      // A generator is lazy: its coroutines exist only once something consumes it.
      return OK;
    case 'argument_list':
      return argumentUse(ctx, node, p);
    default:
      return conditionOrMisuseUse(ctx, node, p);
  }
}

/** Surroundings that test the value as a condition or use it as a plain (non-awaitable) value. */
function conditionOrMisuseUse(ctx: FileContext, node: PyNode, p: PyNode): Use {
  switch (p.type) {
    case 'conditional_expression': {
      const parts = namedChildren(p);
      if (parts[1] === node) return { k: 'condition' };
      return useOf(ctx, p);
    }
    case 'boolean_operator':
      if (node.field === 'left') return { k: 'condition' };
      return useOf(ctx, p);
    case 'not_operator':
      return { k: 'condition' };
    case 'if_statement':
    case 'elif_clause':
    case 'while_statement':
      return node.field === 'condition' ? { k: 'condition' } : OK;
    case 'if_clause':
      return { k: 'condition' };
    case 'assert_statement':
      return namedChildren(p)[0] === node ? { k: 'condition' } : OK;
    case 'attribute': {
      if (node.field !== 'object') return OK;
      const attr = child(p, 'attribute');
      if (!attr || COROUTINE_ATTRS.has(ctx.t(attr))) return OK;
      return { k: 'misuse', why: `used for attribute access (\`.${ctx.t(attr)}\`)` };
    }
    case 'subscript':
      return node.field === 'value' ? { k: 'misuse', why: 'subscripted' } : OK;
    case 'binary_operator':
      return { k: 'misuse', why: 'used in arithmetic' };
    case 'unary_operator':
      return { k: 'misuse', why: 'used in arithmetic' };
    case 'for_statement':
      return node.field === 'right' && !isAsyncStatement(p) ? { k: 'misuse', why: 'iterated with a sync `for`' } : OK;
    case 'for_in_clause':
      return node.field === 'right' && !p.children.some((c) => !c.named && c.type === 'async') ? { k: 'misuse', why: 'iterated with a sync `for`' } : OK;
    case 'with_item':
    case 'as_pattern': {
      const item = p.type === 'as_pattern' ? p.parent : p;
      if (item?.type !== 'with_item') return OK;
      const stmt = item.parent?.parent;
      return stmt && !isAsyncStatement(stmt) ? { k: 'misuse', why: 'used in a sync `with`' } : OK;
    }
    default:
      return OK;
  }
}

/** `x = <node>` names the value; unpacking it is a misuse. */
function assignedUse(ctx: FileContext, node: PyNode, assignment: PyNode): Use {
  if (node.field !== 'right') return OK;
  const left = child(assignment, 'left');
  if (!left) return OK;
  if (left.type === 'identifier') return { k: 'named', name: ctx.t(left), target: left, stmt: statementOf(assignment) };
  if (left.type === 'pattern_list' || left.type === 'tuple_pattern' || left.type === 'tuple' || left.type === 'list_pattern') {
    return { k: 'misuse', why: 'unpacked' };
  }
  return OK;
}

/** `(x := <node>)`: the walrus names the value when the expression itself is dropped. */
function walrusUse(ctx: FileContext, node: PyNode, walrus: PyNode): Use {
  if (node.field !== 'value') return OK;
  const name = child(walrus, 'name');
  const outer = useOf(ctx, walrus);
  if (outer.k === 'condition' || outer.k === 'misuse') return outer;
  if (outer.k === 'dropped' && name) return { k: 'named', name: ctx.t(name), target: name, stmt: statementOf(walrus) };
  return OK;
}

/** An item of `a, b` or `(a, b)`: `a, b = f(), g()` pairs each value with its target. */
function tupleItemUse(ctx: FileContext, node: PyNode, tuple: PyNode): Use {
  const a = tuple.parent;
  if (a?.type === 'assignment' && tuple.field === 'right') {
    const left = child(a, 'left');
    const items = namedChildren(tuple);
    if (left && (left.type === 'pattern_list' || left.type === 'tuple_pattern')) {
      const targets = namedChildren(left);
      const i = items.indexOf(node);
      if (targets.length === items.length && targets[i]?.type === 'identifier') {
        return { k: 'named', name: ctx.t(targets[i]), target: targets[i], stmt: statementOf(a) };
      }
      return OK;
    }
  }
  return containerUse(ctx, tuple);
}

/** A positional argument: misused when the callee wants a callable or a plain value, else by its parameter. */
function argumentUse(ctx: FileContext, node: PyNode, args: PyNode): Use {
  const call = args.parent;
  const f = call ? child(call, 'function') : undefined;
  if (!f) return OK;
  const ft = ctx.typeOf(f);
  if (ft?.k === 'func' && ft.facts?.callableArg !== undefined && node.type === 'call') {
    const positional = namedChildren(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat');
    if (positional[ft.facts.callableArg] === node) return { k: 'misuse', why: `passed to \`${ctx.t(f)}()\`, which expects a function to call, not a coroutine object` };
  }
  if (ft?.k === 'func' && ft.q.startsWith('builtins.')) {
    const name = ft.q.slice('builtins.'.length);
    if (SYNC_VALUE_BUILTINS.has(name)) return { k: 'misuse', why: `passed to \`${name}()\`` };
  }
  return call ? parameterUse(ctx, call, node) : OK;
}

/** An argument bound to a parameter annotated with a type a coroutine can never be (`int`, a plain class). */
function parameterUse(ctx: FileContext, call: PyNode, arg: PyNode): Use {
  const f = child(call, 'function');
  const ft = f ? ctx.typeOf(f) : undefined;
  let target: Extract<Ty, { k: 'func' }> | undefined;
  if (ft?.k === 'func') target = ft;
  else if (ft?.k === 'class' && ft.cls.k === 'ws' && ctx.index.classHasMember(ft.cls, '__new__') === false) {
    const init = ctx.index.attr({ k: 'instance', cls: ft.cls }, '__init__');
    if (init?.k === 'func') target = init;
  }
  if (!f || !target?.ws || target.ws.fn.opaqueDecorators.length) return OK;
  const param = parameterFor(call, arg, target.ws.fn.paramList, !!target.bound, ctx.text);
  if (!param?.ann) return OK;
  if (awaitabilityOf(ctx.index, param.ann, target.ws.mod).k !== 'never') return OK;
  return { k: 'misuse', why: `passed to parameter \`${param.name}: ${param.ann.replace(/\s+/g, ' ')}\` of \`${ctx.t(f)}()\`` };
}

/** `return <coroutine>` inside an `async def` declared to return something that cannot be awaitable. */
function returnedUse(ctx: FileContext, ret: PyNode): Use {
  const fn = enclosingFunction(ret);
  if (!fn || fn.type !== 'function_definition' || !isAsyncDef(fn)) return OK;
  const ann = child(fn, 'return_type');
  if (!ann || awaitabilityOf(ctx.index, ctx.t(ann), ctx.module).k !== 'never') return OK;
  const name = child(fn, 'name');
  return { k: 'returned', why: `returned from \`async def ${name ? ctx.t(name) : ''}\`, declared to return \`${ctx.t(ann)}\`` };
}

function containerUse(ctx: FileContext, container: PyNode): Use {
  const u = useOf(ctx, container);
  if (u.k === 'dropped') return u;
  // The name holds the container, not the coroutine: only whether it is used matters.
  if (u.k === 'named') return { ...u, container: true };
  return OK;
}

function statementOf(n: PyNode): PyNode {
  let s = n;
  while (s.parent && s.parent.type !== 'block' && s.parent.type !== 'module') s = s.parent;
  return s;
}

function checkTaskUse(ctx: FileContext, call: PyNode, push: (f: Finding) => void): void {
  // `ensure_future(existing_future)` returns it unchanged: only a freshly created awaitable counts.
  const args = child(call, 'arguments');
  const first = args ? namedChildren(args)[0] : undefined;
  if (!first || first.type === 'keyword_argument') return;
  const fnText = ctx.t(child(call, 'function')!);
  if (/ensure_future$/.test(fnText) && first.type !== 'call') return;
  const use = useOf(ctx, call);
  const scope = ctx.scopeOf(call);
  const fresh = scope.bindings.has('task') || ctx.scopes.get(ctx.root)!.bindings.has('task') ? '_task' : 'task';
  if (use.k === 'dropped') {
    if (use.stmt.type !== 'expression_statement' || namedChildren(use.stmt)[0] !== call) {
      push({ code: 'dangling-task', node: call, start: call.start, end: call.end, message: `Task from \`${fnText}()\` is not kept; it can be garbage-collected before it finishes`, fixes: [] });
      return;
    }
    push({
      code: 'dangling-task',
      node: call,
      start: call.start,
      end: call.end,
      message: `Task from \`${fnText}()\` is not kept; it can be garbage-collected before it finishes`,
      fixes: [{ kind: 'keep-task', stmt: use.stmt, call, fresh }],
    });
    return;
  }
  if (use.k === 'named') {
    const v = nameVerdict(ctx, scope, use);
    if (v !== 'unused') return;
    push({
      code: 'dangling-task',
      node: call,
      start: call.start,
      end: call.end,
      message: use.name === '_' ? `Task from \`${fnText}()\` is assigned to \`_\`; it can be garbage-collected before it finishes` : `Task from \`${fnText}()\` is kept only in \`${use.name}\`, which is never used; it can be garbage-collected before it finishes`,
      // A container of tasks needs each task kept, which is not a one-line edit: no fix offered.
      fixes: use.name === '_' || use.container ? [] : [{ kind: 'keep-task', stmt: use.stmt, call, variable: use.name, fresh }],
    });
  }
}

function checkWith(ctx: FileContext, stmt: PyNode, push: (f: Finding) => void): void {
  if (isAsyncStatement(stmt)) return;
  const clause = stmt.children.find((c) => c.type === 'with_clause');
  for (const item of clause ? namedChildren(clause) : []) {
    if (item.type !== 'with_item') continue;
    let v = child(item, 'value');
    if (v?.type === 'as_pattern') v = namedChildren(v)[0];
    if (!v || v.type === 'call' && isAwaitableCall(ctx, v)) continue; // reported as a coroutine use
    const t = ctx.typeOf(v);
    if (asyncOnlyContextManager(ctx, t)) {
      const fixes: FixHint[] = canAwaitAt(stmt) ? [{ kind: 'make-async', stmt }] : [];
      push({ code: 'coroutine-misused', node: v, start: v.start, end: v.end, message: `\`${describe(ctx, v)}\` is an async context manager; use \`async with\``, fixes });
    }
  }
}

function checkFor(ctx: FileContext, stmt: PyNode, push: (f: Finding) => void): void {
  if (isAsyncStatement(stmt)) return;
  const right = child(stmt, 'right');
  if (!right || right.type === 'call' && isAwaitableCall(ctx, right)) return;
  const t = ctx.typeOf(right);
  if (!t) return;
  let asyncOnly = t.k === 'asynciter';
  if (t.k === 'instance') {
    const facts = ctx.index.classFacts(t.cls);
    if (facts?.asyncIterable && (t.cls.k === 'known' || ctx.index.classHasMember(t.cls, '__iter__') === false)) asyncOnly = true;
    if (t.cls.k === 'ws' && ctx.index.classHasMember(t.cls, '__aiter__') === true && ctx.index.classHasMember(t.cls, '__iter__') === false && ctx.index.classHasMember(t.cls, '__getitem__') === false) asyncOnly = true;
  }
  if (asyncOnly) {
    const fixes: FixHint[] = canAwaitAt(stmt) ? [{ kind: 'make-async', stmt }] : [];
    push({ code: 'coroutine-misused', node: right, start: right.start, end: right.end, message: `\`${describe(ctx, right)}\` is an async iterator; use \`async for\``, fixes });
  }
}

/** `start_soon(work(1, x))` → `start_soon(work, 1, x)`: only when the call has plain positional arguments. */
function passFunctionFix(call: PyNode): FixHint[] {
  const args = child(call, 'arguments');
  if (!args || args.type !== 'argument_list') return [];
  if (namedChildren(args).some((a) => a.type === 'keyword_argument' || a.type === 'dictionary_splat')) return [];
  return [{ kind: 'pass-function', call }];
}

function enclosingWith(n: PyNode): PyNode | undefined {
  const p = n.parent?.type === 'as_pattern' ? n.parent.parent : n.parent;
  return p?.type === 'with_item' ? p.parent?.parent ?? undefined : undefined;
}

function isAwaitableCall(ctx: FileContext, call: PyNode): boolean {
  const r = ctx.typeOf(call);
  return r?.k === 'awaitable';
}

function asyncOnlyContextManager(ctx: FileContext, t: Ty | undefined): boolean {
  if (!t) return false;
  if (t.k === 'asynccm') return true;
  if (t.k !== 'instance') return false;
  const facts = ctx.index.classFacts(t.cls);
  if (!facts?.asyncOnlyCM) return false;
  // A workspace subclass that adds `__enter__` works with a plain `with`.
  return t.cls.k === 'known' || ctx.index.classHasMember(t.cls, '__enter__') === false;
}

export function isAsyncStatement(n: PyNode): boolean {
  return n.children.some((c) => !c.named && c.type === 'async');
}

function isAsyncDef(fn: PyNode): boolean {
  return isAsyncStatement(fn);
}

function enclosingFunction(n: PyNode): PyNode | undefined {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda') return p;
  }
  return undefined;
}

/** `await` is valid here: directly inside an `async def`, not in a lambda or generator expression. */
function canAwaitAt(n: PyNode): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'lambda' || p.type === 'generator_expression') return false;
    if (p.type === 'function_definition') return isAsyncDef(p);
    if (p.type === 'class_definition') return false;
  }
  return false;
}

function needsParens(n: PyNode): boolean {
  const p = n.parent;
  if (!p) return false;
  return (p.type === 'attribute' && n.field === 'object') || (p.type === 'subscript' && n.field === 'value') || (p.type === 'call' && n.field === 'function');
}
