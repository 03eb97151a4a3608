// Owns light type inference inside one file: what an expression evaluates to (module, class,
// instance, coroutine, task, ...) from annotations, constructor calls, awaited calls, `self`
// attributes and the workspace index. Anything unclear is `undefined`, which rules never flag.
import { Binding, buildScopes, enclosingScopeNode, Scope, ScopeCache, shadowedNearby } from './scopes';
import { annotationHint, FunctionSummary, ModuleSummary, ParamSummary, summariseFunction } from './summary';
import { child, namedChildren, PyNode } from './syntax';
import { BUILTIN_NAMES, Ty, WorkspaceIndex } from './workspace';
import { knownFunction } from './knowledge';

export class FileContext {
  readonly scopes: Map<PyNode, Scope>;
  private readonly memo = new Map<PyNode, Ty | undefined>();
  private readonly inProgress = new Set<PyNode>();

  constructor(
    readonly root: PyNode,
    readonly text: string,
    readonly module: ModuleSummary,
    readonly index: WorkspaceIndex,
    scopeCache?: ScopeCache,
  ) {
    this.scopes = buildScopes(root, text, scopeCache);
  }

  /** Everything besides the statement itself that findings depend on. */
  environmentKey(): string {
    const mod = this.scopes.get(this.root)!;
    const names = [...mod.bindings].map(([n, b]) => `${n}:${b.length}`).sort().join(',');
    return `${this.index.generation}|${names}`;
  }

  t(n: PyNode): string {
    return this.text.slice(n.start, n.end);
  }

  scopeOf(n: PyNode): Scope {
    return this.scopes.get(enclosingScopeNode(n)) ?? this.scopes.get(this.root)!;
  }

  typeOf(n: PyNode | undefined): Ty | undefined {
    if (!n) return undefined;
    if (this.memo.has(n)) return this.memo.get(n);
    if (this.inProgress.has(n)) return undefined;
    this.inProgress.add(n);
    const r = this.compute(n);
    this.inProgress.delete(n);
    this.memo.set(n, r);
    return r;
  }

  private compute(n: PyNode): Ty | undefined {
    switch (n.type) {
      case 'parenthesized_expression': {
        const inner = namedChildren(n);
        return inner.length === 1 ? this.typeOf(inner[0]) : undefined;
      }
      case 'identifier':
        return this.typeOfName(n, this.t(n));
      case 'attribute': {
        const obj = child(n, 'object');
        const attr = child(n, 'attribute');
        if (!obj || !attr) return undefined;
        const base = this.typeOf(obj);
        return base ? this.index.attr(base, this.t(attr)) : undefined;
      }
      case 'call': {
        const f = child(n, 'function');
        if (!f) return undefined;
        if (f.type === 'identifier' && this.t(f) === 'super') return this.superType(n);
        const ft = this.typeOf(f);
        return this.index.callResult(ft, 0, (param, index) => this.typeOf(argumentFor(n, param, index, this.text)));
      }
      case 'await': {
        const inner = namedChildren(n)[0];
        return this.index.awaitResult(this.typeOf(inner));
      }
      default:
        return undefined;
    }
  }

  /** `super()` in a method of a single-base class: the base (with several bases the MRO decides). */
  private superType(call: PyNode): Ty | undefined {
    const args = child(call, 'arguments');
    if (args && namedChildren(args).length > 0) return undefined;
    const scope = this.scopeOf(call);
    const name = scope.classNode ? child(scope.classNode, 'name') : undefined;
    if (!name || !scope.parent?.isModule || this.moduleName('super') !== undefined && this.module.imports.has('super')) return undefined;
    const cls = this.index.member(this.module, this.t(name));
    if (cls?.k !== 'class' || cls.cls.k !== 'ws' || cls.cls.cls.bases.length !== 1) return undefined;
    const base = this.index.resolveDotted(cls.cls.cls.bases[0], cls.cls.mod);
    return base?.k === 'class' ? { k: 'instance', cls: base.cls } : undefined;
  }

  typeOfName(node: PyNode, name: string): Ty | undefined {
    if (shadowedNearby(node, name, this.text)) return undefined;
    let s: Scope | null = this.scopeOf(node);
    while (s) {
      if (s.isModule) return this.moduleName(name);
      if (s.declaredNonLocal.has(name)) return undefined;
      const bs = s.bindings.get(name);
      if (bs) {
        const b = s.single(name);
        return b ? this.typeOfBinding(b, s) : undefined;
      }
      s = s.parent;
    }
    return undefined;
  }

  private readonly moduleNames = new Map<string, Ty | undefined>();

  moduleName(name: string): Ty | undefined {
    if (this.moduleNames.has(name)) return this.moduleNames.get(name);
    const r = this.moduleNameUncached(name);
    this.moduleNames.set(name, r);
    return r;
  }

  private moduleNameUncached(name: string): Ty | undefined {
    const t = this.index.member(this.module, name);
    if (t) return t;
    if (this.module.rebound.has(name) || this.module.imports.has(name)) return undefined;
    const root = this.scopes.get(this.root)!;
    if (root.bindings.has(name)) return undefined;
    if (BUILTIN_NAMES.has(name)) return { k: 'func', q: `builtins.${name}`, facts: knownFunction(`builtins.${name}`) };
    return undefined;
  }

  private typeOfBinding(b: Binding, scope: Scope): Ty | undefined {
    switch (b.kind) {
      case 'param': {
        if (b.annotation) {
          const hint = annotationHint(b.annotation, this.text);
          return hint ? this.index.fromHint(hint, this.module) : undefined;
        }
        if (b.paramIndex === 0 && scope.classNode && !this.isStaticOrClassMethod(scope.node)) {
          const name = child(scope.classNode, 'name');
          // Only top-level classes are in the module summary.
          if (name && scope.parent?.isModule) {
            const c = this.index.member(this.module, this.t(name));
            return c?.k === 'class' ? { k: 'instance', cls: c.cls } : undefined;
          }
        }
        return undefined;
      }
      case 'assign':
      case 'walrus': {
        const v = b.value;
        if (!v) return undefined;
        if (b.index === undefined) return this.typeOf(v);
        if ((v.type === 'expression_list' || v.type === 'tuple') && namedChildren(v).length === b.arity) {
          return this.typeOf(namedChildren(v)[b.index]);
        }
        const t = this.typeOf(v);
        return t?.k === 'tuple' && t.items.length === b.arity ? t.items[b.index] : undefined;
      }
      case 'with': {
        if (!b.asyncWith || b.index !== undefined) return undefined;
        const t = this.typeOf(b.value);
        if (!t) return undefined;
        if (t.k === 'awaitable' && t.kind === 'awaitable-cm') return t.result;
        if (t.k === 'instance' && t.cls.k === 'known' && t.cls.facts.enterType) {
          const c = this.index.resolveQualified(t.cls.facts.enterType);
          return c?.k === 'class' ? { k: 'instance', cls: c.cls } : undefined;
        }
        return undefined;
      }
      case 'def': {
        const def = b.target.parent;
        if (!def || def.type !== 'function_definition') return undefined;
        const holder = def.parent?.type === 'decorated_definition' ? def.parent : def;
        const fn = summariseFunction(holder, this.text);
        if (fn?.inferred && !this.inferenceSeesModuleNames(fn, scope)) fn.inferred = undefined;
        return fn ? { k: 'func', q: `${this.module.name}.<locals>.${fn.name}`, ws: { mod: this.module, fn } } : undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * Inferred returns are resolved in module scope; a nested function may instead call names of an
   * enclosing function (a decorator's `fn`, a local helper), so any such name drops the inference.
   */
  private inferenceSeesModuleNames(fn: FunctionSummary, scope: Scope): boolean {
    for (const src of fn.inferred?.sources ?? []) {
      if (src.k !== 'hint') continue;
      const head = src.hint.dotted.split('.')[0];
      for (let s: Scope | null = scope; s && !s.isModule; s = s.parent) if (s.bindings.has(head)) return false;
    }
    return true;
  }

  private isStaticOrClassMethod(fnNode: PyNode): boolean {
    const d = fnNode.parent;
    if (d?.type !== 'decorated_definition') return false;
    return d.children.some((c) => c.type === 'decorator' && /^@\s*(staticmethod|classmethod)\b/.test(this.t(c)));
  }
}

/**
 * The argument of `call` bound to `param` (at unbound position `index`), or undefined when splats
 * or a generator argument make the binding uncertain.
 */
export function argumentFor(call: PyNode, param: ParamSummary, index: number, text: string): PyNode | undefined {
  const args = child(call, 'arguments');
  if (!args || args.type !== 'argument_list') return undefined;
  let positional = 0;
  for (const a of namedChildren(args)) {
    if (a.type === 'list_splat' || a.type === 'dictionary_splat') return undefined;
    if (a.type === 'keyword_argument') {
      const name = child(a, 'name');
      if (name && param.kind !== 'posonly' && text.slice(name.start, name.end) === param.name) return child(a, 'value');
      continue;
    }
    if (positional === index && (param.kind === 'pos' || param.kind === 'posonly')) return a;
    positional++;
  }
  return undefined;
}

/** The parameter `arg` (a positional argument or a keyword argument's value) binds to. */
export function parameterFor(call: PyNode, arg: PyNode, params: readonly ParamSummary[], bound: boolean, text: string): ParamSummary | undefined {
  const args = child(call, 'arguments');
  if (!args || args.type !== 'argument_list') return undefined;
  const positionalParams = params.filter((p) => p.kind === 'pos' || p.kind === 'posonly');
  let positional = bound ? 1 : 0;
  for (const a of namedChildren(args)) {
    if (a.type === 'list_splat') return undefined;
    if (a.type === 'dictionary_splat') continue;
    if (a.type === 'keyword_argument') {
      if (child(a, 'value') !== arg) continue;
      const name = child(a, 'name');
      const n = name ? text.slice(name.start, name.end) : '';
      return params.find((p) => p.name === n && (p.kind === 'pos' || p.kind === 'kwonly')) ?? params.find((p) => p.kind === 'varkw');
    }
    if (a === arg) return positionalParams[positional] ?? params.find((p) => p.kind === 'varargs');
    positional++;
  }
  return undefined;
}

