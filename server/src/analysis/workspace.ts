// Owns the workspace index: one summary per Python module (keyed by dotted name), symbol
// resolution across modules (imports, re-exports, star imports, class bases) and the reverse
// dependency graph used to re-check importers when a module changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClassFacts, FunctionFacts, KNOWN_PACKAGES, knownClass, knownFunction } from './knowledge';
import { awaitabilityOf } from './annotations';
import { ClassSummary, FunctionSummary, ModuleSummary, ParamSummary, TypeHint } from './summary';

export type ClassRef =
  | { k: 'ws'; q: string; mod: ModuleSummary; cls: ClassSummary }
  | { k: 'known'; q: string; facts: ClassFacts };

/** Static value kinds the rules care about. `undefined` everywhere means "unknown": never flag. */
export type Ty =
  | { k: 'module'; q: string }
  | { k: 'class'; cls: ClassRef }
  | { k: 'instance'; cls: ClassRef }
  | { k: 'func'; q: string; facts?: FunctionFacts; ws?: { mod: ModuleSummary; fn: FunctionSummary; owner?: ClassRef }; bound?: boolean }
  | { k: 'tuple'; items: (Ty | undefined)[] }
  /**
   * The result of calling an async callable: must be awaited (or handed to a consumer). `maybe`:
   * declared or inferred as a union with other types (only dropping it is certainly wrong).
   */
  | { k: 'awaitable'; kind: 'coroutine' | 'awaitable-cm'; result?: Ty; what: string; maybe?: boolean; noun?: 'coroutine' | 'awaitable' }
  | { k: 'asynciter'; what: string }
  | { k: 'task'; what: string }
  /** Async-only context manager object from an `@asynccontextmanager` function. */
  | { k: 'asynccm'; what: string };

/** Type of the argument bound to a parameter in the call being typed (`index` counts unbound positions). */
export type ArgumentType = (param: ParamSummary, index: number) => Ty | undefined;

export const BUILTIN_NAMES = new Set([
  'print', 'len', 'str', 'int', 'float', 'bool', 'list', 'tuple', 'dict', 'set', 'sorted', 'sum', 'min', 'max',
  'abs', 'round', 'input', 'repr', 'isinstance', 'getattr', 'setattr', 'hasattr', 'iter', 'next', 'open', 'range',
  'enumerate', 'zip', 'map', 'filter', 'type', 'id', 'hash', 'callable', 'super', 'object', 'vars', 'locals',
]);

export class WorkspaceIndex {
  readonly modules = new Map<string, ModuleSummary>();
  /** Module name → file path (for re-checks). */
  readonly files = new Map<string, string>();
  private readonly byPath = new Map<string, string>();
  private cache = new Map<string, Ty | undefined>();
  private readonly signatures = new Map<string, string>();
  /** Bumped whenever any module's definitions or imports change (not on body-only edits). */
  generation = 0;

  set(filePath: string, summary: ModuleSummary & { signature?: string }): void {
    const prev = this.byPath.get(filePath);
    if (prev && prev !== summary.name) this.modules.delete(prev);
    const sig = summary.signature !== undefined ? `${summary.name}|${summary.signature}` : undefined;
    const same = sig !== undefined && prev === summary.name && this.signatures.get(filePath) === sig;
    this.modules.set(summary.name, summary);
    this.files.set(summary.name, filePath);
    this.byPath.set(filePath, summary.name);
    if (sig !== undefined) this.signatures.set(filePath, sig);
    else this.signatures.delete(filePath);
    if (!same) {
      this.generation++;
      this.cache.clear();
    }
  }

  remove(filePath: string): void {
    const name = this.byPath.get(filePath);
    if (!name) return;
    this.byPath.delete(filePath);
    this.signatures.delete(filePath);
    this.generation++;
    if (this.files.get(name) === filePath) {
      this.modules.delete(name);
      this.files.delete(name);
    }
    this.cache.clear();
  }

  moduleForPath(filePath: string): ModuleSummary | undefined {
    const n = this.byPath.get(filePath);
    return n ? this.modules.get(n) : undefined;
  }

  /** Paths of modules that import `changed` directly or through re-exporting modules. */
  dependentsOf(filePath: string): string[] {
    const start = this.byPath.get(filePath);
    if (!start) return [];
    const seen = new Set<string>([start]);
    const queue = [start];
    const out: string[] = [];
    while (queue.length) {
      const target = queue.shift()!;
      for (const [name, m] of this.modules) {
        if (seen.has(name)) continue;
        let hit = false;
        for (const d of m.dependencies) {
          if (d === target || d.startsWith(target + '.') || target.startsWith(d + '.')) {
            hit = true;
            break;
          }
        }
        if (hit) {
          seen.add(name);
          queue.push(name);
          const f = this.files.get(name);
          if (f) out.push(f);
        }
      }
    }
    return out;
  }

  // ---- resolution ----

  resolveQualified(q: string, depth = 0): Ty | undefined {
    if (this.cache.has(q)) return this.cache.get(q);
    this.cache.set(q, undefined); // cycle guard
    const r = this.resolveQualifiedUncached(q, depth);
    this.cache.set(q, r);
    return r;
  }

  private knownQualified(q: string): Ty | undefined {
    const facts = knownFunction(q);
    if (facts) return { k: 'func', q, facts };
    const kc = knownClass(q);
    if (kc) return { k: 'class', cls: { k: 'known', q, facts: kc } };
    return undefined;
  }

  private resolveQualifiedUncached(q: string, depth: number): Ty | undefined {
    if (depth > 12) return undefined;
    const known = this.knownQualified(q);
    if (known) return known;
    if (this.modules.has(q)) return { k: 'module', q };
    const parts = q.split('.');
    for (let i = parts.length - 1; i >= 1; i--) {
      const modName = parts.slice(0, i).join('.');
      const mod = this.modules.get(modName);
      if (!mod) continue;
      let t = this.member(mod, parts[i], depth + 1);
      for (let j = i + 1; j < parts.length && t; j++) t = this.attr(t, parts[j], depth + 1);
      return t;
    }
    if (KNOWN_PACKAGES.has(parts[0]) && parts.length <= 3) return { k: 'module', q };
    return undefined;
  }

  /** A name looked up in a module's global namespace. */
  member(mod: ModuleSummary, name: string, depth = 0, seen: Set<string> = new Set()): Ty | undefined {
    if (depth > 12 || seen.has(mod.name)) return undefined;
    seen.add(mod.name);
    if (mod.rebound.has(name)) return undefined;
    const fn = mod.functions.get(name);
    if (fn) return { k: 'func', q: `${mod.name}.${name}`, ws: { mod, fn } };
    const cls = mod.classes.get(name);
    if (cls) return { k: 'class', cls: { k: 'ws', q: `${mod.name}.${name}`, mod, cls } };
    const imp = mod.imports.get(name);
    if (imp) {
      if (imp === name && !imp.includes('.')) return this.modules.has(imp) || KNOWN_PACKAGES.has(imp) ? { k: 'module', q: imp } : this.resolveQualified(imp, depth + 1) ?? { k: 'module', q: imp };
      return this.resolveQualified(imp, depth + 1);
    }
    const hint = mod.assignments.get(name);
    if (hint) return this.fromHint(hint, mod, depth + 1);
    for (const star of mod.starImports) {
      const sm = this.modules.get(star);
      const t = sm ? this.member(sm, name, depth + 1, seen) : KNOWN_PACKAGES.has(star.split('.')[0]) ? this.resolveQualified(`${star}.${name}`, depth + 1) : undefined;
      if (t) return t;
    }
    const sub = `${mod.name}.${name}`;
    if (this.modules.has(sub)) return { k: 'module', q: sub };
    return undefined;
  }

  /** Resolves a dotted expression written in a module's global namespace. */
  resolveDotted(dotted: string, mod: ModuleSummary, depth = 0): Ty | undefined {
    const parts = dotted.split('.');
    let t = this.member(mod, parts[0], depth);
    if (!t && !mod.imports.has(parts[0]) && !mod.rebound.has(parts[0]) && BUILTIN_NAMES.has(parts[0])) t = { k: 'func', q: `builtins.${parts[0]}`, facts: knownFunction(`builtins.${parts[0]}`) };
    for (let i = 1; i < parts.length && t; i++) t = this.attr(t, parts[i], depth + 1);
    return t;
  }

  fromHint(hint: TypeHint, mod: ModuleSummary, depth = 0): Ty | undefined {
    if (depth > 12 || hint.dotted === '?') return undefined;
    const t = this.resolveDotted(hint.dotted, mod, depth + 1);
    if (!t) return undefined;
    switch (hint.how) {
      case 'annotation':
        return t.k === 'class' ? { k: 'instance', cls: t.cls } : undefined;
      case 'alias':
        return t;
      case 'call':
        return this.callResult(t, depth + 1);
      case 'await-call':
        return this.awaitResult(this.callResult(t, depth + 1));
    }
  }

  attr(t: Ty, name: string, depth = 0): Ty | undefined {
    if (depth > 12) return undefined;
    switch (t.k) {
      case 'module': {
        // Library knowledge wins over the library's own source (asyncio indexed from the stdlib).
        const known = this.knownQualified(`${t.q}.${name}`);
        if (known) return known;
        const mod = this.modules.get(t.q);
        if (mod) return this.member(mod, name, depth + 1) ?? this.resolveQualified(`${t.q}.${name}`, depth + 1);
        return this.resolveQualified(`${t.q}.${name}`, depth + 1);
      }
      case 'class':
        return this.classMember(t.cls, name, false, depth + 1);
      case 'instance':
        return this.classMember(t.cls, name, true, depth + 1);
      default:
        return undefined;
    }
  }

  private classMember(cls: ClassRef, name: string, instance: boolean, depth: number, seen = new Set<string>()): Ty | undefined {
    if (depth > 12 || seen.has(cls.q)) return undefined;
    seen.add(cls.q);
    if (cls.k === 'known') {
      const f = cls.facts.methods[name];
      if (f) return { k: 'func', q: `${cls.q}.${name}`, facts: f };
      const a = instance ? cls.facts.attributes?.[name] : undefined;
      if (a) {
        const c = this.resolveQualified(a, depth + 1);
        return c?.k === 'class' ? { k: 'instance', cls: c.cls } : undefined;
      }
      return undefined;
    }
    const m = cls.cls.methods.get(name);
    if (m) {
      if (m.isProperty) {
        if (!instance || m.isAsync || !m.returns || m.opaqueDecorators.some((d) => !/property$/.test(d))) return undefined;
        return this.fromHint(m.returns, cls.mod, depth + 1);
      }
      const bound = instance ? m.binding !== 'static' : m.binding === 'class';
      return { k: 'func', q: `${cls.q}.${name}`, ws: { mod: cls.mod, fn: m, owner: cls }, bound };
    }
    const hints = cls.cls.attributes.get(name);
    if (hints) {
      const first = hints[0];
      if (hints.some((h) => h.dotted !== first.dotted || h.how !== first.how)) return undefined;
      return this.fromHint(first, cls.mod, depth + 1);
    }
    for (const b of cls.cls.bases) {
      const bt = this.resolveDotted(b, cls.mod, depth + 1);
      // An unknown base could define anything: stop rather than guess.
      if (!bt || bt.k !== 'class') return undefined;
      const r = this.classMember(bt.cls, name, instance, depth + 1, seen);
      if (r) return r;
      if (bt.cls.k === 'known') return undefined;
    }
    return undefined;
  }

  /** What a call to a value of type `t` produces. */
  callResult(t: Ty | undefined, depth = 0, argument?: ArgumentType): Ty | undefined {
    if (!t || depth > 12) return undefined;
    if (t.k === 'class') return { k: 'instance', cls: t.cls };
    if (t.k !== 'func') return undefined;
    const what = t.q.split('.').slice(-2).join('.');
    if (t.facts) {
      const f = t.facts;
      const typeOf = (q?: string): Ty | undefined => {
        if (!q) return undefined;
        const c = this.resolveQualified(q, depth + 1);
        return c?.k === 'class' ? { k: 'instance', cls: c.cls } : undefined;
      };
      const result: Ty | undefined = f.tupleTypes ? { k: 'tuple', items: f.tupleTypes.map((q) => typeOf(q)) } : typeOf(f.type);
      switch (f.result) {
        case 'coroutine':
        case 'awaitable-cm':
          return { k: 'awaitable', kind: f.result, result, what };
        case 'task':
          return { k: 'task', what };
        case 'asynciter':
          return { k: 'asynciter', what };
        case 'value':
          return result;
      }
    }
    const ws = t.ws;
    if (!ws) return undefined;
    const fn = ws.fn;
    if (fn.isAsyncContextManager) return fn.opaqueDecorators.length === 1 ? { k: 'asynccm', what } : undefined;
    if (fn.opaqueDecorators.length > 0) return undefined;
    if (fn.isAsyncGenerator) return { k: 'asynciter', what };
    const ret = fn.returns ? this.fromHint(fn.returns, ws.mod, depth + 1) : undefined;
    if (fn.isAsync) return { k: 'awaitable', kind: 'coroutine', result: ret, what };
    if (fn.returnAnn) {
      const aw = awaitabilityOf(this, fn.returnAnn, ws.mod);
      if (aw.k === 'awaitable') return { k: 'awaitable', kind: 'coroutine', result: aw.result, what, maybe: aw.maybe || undefined, noun: aw.noun };
      if (ret || aw.k === 'never' || !aw.typeVar && !/^(?:(?:typing|typing_extensions)\.)?Any$|^object$/.test(fn.returnAnn.trim())) return ret;
    }
    return fn.inferred ? this.inferredResult({ ...t, ws }, what, depth + 1, argument) : undefined;
  }

  private readonly inferCache = new Map<string, { generation: number; ty: Ty | undefined }>();

  /**
   * The awaitable a sync function returns by its body: every `return` yields an awaitable (through
   * module-level calls, `self.m()`, chains of such functions, or a parameter returned unchanged) or
   * `None`. Any other return value makes the result unknown.
   */
  private inferredResult(t: Extract<Ty, { k: 'func' }> & { ws: NonNullable<Extract<Ty, { k: 'func' }>['ws']> }, what: string, depth: number, argument?: ArgumentType): Ty | undefined {
    const { fn, mod, owner } = t.ws;
    const inf = fn.inferred!;
    const usesParams = inf.sources.some((s) => s.k === 'param');
    const cacheable = !usesParams && !t.q.includes('<locals>');
    const hit = cacheable ? this.inferCache.get(t.q) : undefined;
    if (hit && hit.generation === this.generation) return hit.ty;
    if (cacheable) this.inferCache.set(t.q, { generation: this.generation, ty: undefined }); // cycle guard
    let awaitable: Extract<Ty, { k: 'awaitable' }> | undefined;
    let maybe = inf.fallsOff;
    let ty: Ty | undefined;
    for (const s of inf.sources) {
      let r: Ty | undefined;
      if (s.k === 'none') {
        maybe = true;
        continue;
      }
      if (s.k === 'hint') r = this.fromHint(s.hint, mod, depth + 1);
      else if (s.k === 'self-call') r = owner ? this.callResult(this.classMember(owner, s.method, true, depth + 1), depth + 1) : undefined;
      else {
        const index = fn.paramList.findIndex((p) => p.name === s.name);
        const p = fn.paramList[index];
        r = p && argument ? argument(p, index - (t.bound ? 1 : 0)) : undefined;
      }
      if (r?.k !== 'awaitable' || r.kind !== 'coroutine') {
        awaitable = undefined;
        break;
      }
      awaitable ??= r;
      if (r.maybe) maybe = true;
    }
    if (awaitable) ty = { k: 'awaitable', kind: 'coroutine', result: awaitable.result, what, maybe: maybe || undefined, noun: awaitable.noun };
    if (cacheable) this.inferCache.set(t.q, { generation: this.generation, ty });
    return ty;
  }

  awaitResult(t: Ty | undefined): Ty | undefined {
    if (!t) return undefined;
    if (t.k === 'awaitable') return t.result;
    return undefined;
  }

  /** Facts of a class, following workspace subclasses of known classes. */
  classFacts(cls: ClassRef, depth = 0): ClassFacts | undefined {
    if (cls.k === 'known') return cls.facts;
    if (depth > 8) return undefined;
    for (const b of cls.cls.bases) {
      const bt = this.resolveDotted(b, cls.mod, depth + 1);
      if (bt?.k === 'class') {
        const f = this.classFacts(bt.cls, depth + 1);
        if (f) return f;
      }
    }
    return undefined;
  }

  /** Whether a workspace class defines (or inherits) a method. */
  classHasMember(cls: ClassRef, name: string): boolean | undefined {
    if (cls.k === 'known') return undefined;
    if (cls.cls.methods.has(name)) return true;
    for (const b of cls.cls.bases) {
      const bt = this.resolveDotted(b, cls.mod);
      if (!bt || bt.k !== 'class') return undefined;
      const r = this.classHasMember(bt.cls, name);
      if (r !== false) return r;
    }
    return false;
  }
}

/**
 * Dotted module name of a file: walks up while folders are packages (have `__init__.py`),
 * so `src/pkg/sub/mod.py` is `pkg.sub.mod`. Unsaved files fall back to their base name.
 */
export function moduleNameForPath(filePath: string): { name: string; isPackage: boolean } {
  const base = path.basename(filePath).replace(/\.pyi?$/, '');
  const isPackage = base === '__init__';
  const parts: string[] = isPackage ? [] : [base];
  let dir = path.dirname(filePath);
  for (let i = 0; i < 32; i++) {
    let isPkg = false;
    try {
      isPkg = fs.existsSync(path.join(dir, '__init__.py'));
    } catch {
      isPkg = false;
    }
    if (!isPkg && !(isPackage && i === 0)) break;
    parts.unshift(path.basename(dir));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { name: parts.join('.') || base, isPackage };
}
