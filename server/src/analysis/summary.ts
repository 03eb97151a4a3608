// Owns the per-module summary the workspace index keeps for every file: definitions (async or not),
// classes with their methods and attribute hints, imports (absolute, relative, aliased, star) and
// module-level assignments. Small and tree-free, so closed files cost little memory.
import { child, childrenByField, hasKeyword, namedChildren, PyNode } from './syntax';

/** A type as written in source, resolved lazily in the defining module's namespace. */
export interface TypeHint {
  /** Dotted expression, e.g. `Foo`, `mod.Foo`, `asyncio.Lock`. */
  dotted: string;
  /** `annotation`/`alias`: the value is of that class; `call`: result of calling it; `await-call`: awaited result. */
  how: 'annotation' | 'call' | 'await-call' | 'alias';
}

export interface FunctionSummary {
  name: string;
  isAsync: boolean;
  /** `async def` containing `yield`: calling it gives an async generator, not a coroutine. */
  isAsyncGenerator: boolean;
  /** Decorators that may change what a call returns (anything not in TRANSPARENT_DECORATORS). */
  opaqueDecorators: string[];
  isAsyncContextManager: boolean;
  isContextManager: boolean;
  isProperty: boolean;
  returns?: TypeHint;
  params: { name: string; hint?: TypeHint }[];
  /** Return annotation as written (parsed lazily by `annotations.ts`). */
  returnAnn?: string;
  /** Every parameter in order, with its kind, for mapping call arguments. */
  paramList: ParamSummary[];
  /** `@staticmethod` / `@classmethod`: how the first parameter binds. */
  binding?: 'static' | 'class';
  /** What a sync, non-generator body returns, when every `return` is understood. */
  inferred?: InferredReturn;
}

export interface ParamSummary {
  name: string;
  kind: 'pos' | 'posonly' | 'kwonly' | 'varargs' | 'varkw';
  ann?: string;
}

/** One `return` of a sync function: a value written in module scope, a parameter, `None`, or `self.m()`. */
export type ReturnSource =
  | { k: 'hint'; hint: TypeHint }
  | { k: 'param'; name: string }
  | { k: 'none' }
  | { k: 'self-call'; method: string };

export interface InferredReturn {
  sources: ReturnSource[];
  /** The body can end without a `return` (an implicit `None`). */
  fallsOff: boolean;
}

export interface ClassSummary {
  name: string;
  bases: string[];
  methods: Map<string, FunctionSummary>;
  /** Attribute name → hints; more than one distinct hint means unknown. */
  attributes: Map<string, TypeHint[]>;
}

export interface ModuleSummary {
  name: string;
  isPackage: boolean;
  functions: Map<string, FunctionSummary>;
  classes: Map<string, ClassSummary>;
  /** Local name → absolute dotted target (a module or a symbol inside one). */
  imports: Map<string, string>;
  starImports: string[];
  /** Module-level names bound exactly once by a plain assignment. */
  assignments: Map<string, TypeHint>;
  /** Names bound more than once at module level (never trusted for inference). */
  rebound: Set<string>;
  /** Every module this one imports from (absolute names). */
  dependencies: Set<string>;
  /** `T = TypeVar("T", bound=...)`: name → bound annotation text (null when unbound). */
  typeVars: Map<string, string | null>;
  /** `Alias = Coroutine[Any, Any, int]` and similar subscripted/union aliases: name → text. */
  typeAliases: Map<string, string>;
}

const TRANSPARENT_DECORATORS = new Set([
  'staticmethod', 'classmethod', 'abstractmethod', 'abc.abstractmethod', 'override', 'typing.override',
  'overload', 'typing.overload', 'final', 'typing.final', 'functools.wraps', 'wraps', 'types.coroutine',
  'asyncio.coroutine', 'coroutine',
]);

/** What one top-level statement contributes; cached per (reused) syntax node. */
interface Partial {
  key: string;
  m: ModuleSummary;
  binds: string[];
  /** Value signature (offset-free), interned to a number, to tell whether an edit changed the module's API. */
  sig: number;
}

export type SummaryCache = WeakMap<PyNode, Partial>;

function emptySummary(name: string, isPackage: boolean): ModuleSummary {
  return { name, isPackage, functions: new Map(), classes: new Map(), imports: new Map(), starImports: [], assignments: new Map(), rebound: new Set(), dependencies: new Set(), typeVars: new Map(), typeAliases: new Map() };
}

/**
 * Signature strings are interned so a module's signature is a short list of numbers (compared on
 * every keystroke). Clearing the table only costs one spurious "API changed" on the next edit.
 */
const sigIds = new Map<string, number>();
let nextSigId = 1;
function internSignature(sig: string): number {
  let id = sigIds.get(sig);
  if (id === undefined) {
    if (sigIds.size > 100_000) sigIds.clear();
    id = nextSigId++;
    sigIds.set(sig, id);
  }
  return id;
}

const sigReplacer = (_k: string, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : v);

/**
 * Summarises a module. With a cache, statements untouched since the last call (same mirror node)
 * are not re-read; `signature` changes only when the module's definitions or imports change.
 */
export function summarise(root: PyNode, text: string, moduleName: string, isPackage: boolean, cache?: SummaryCache): ModuleSummary & { signature: string } {
  const m = emptySummary(moduleName, isPackage);
  const bindCount = new Map<string, number>();
  const key = `${moduleName}|${isPackage}`;
  const sigs: number[] = [];
  for (const s of root.children) {
    let p = cache?.get(s);
    if (!p || p.key !== key) {
      p = summariseStatement(s, text, moduleName, isPackage, key);
      cache?.set(s, p);
    }
    sigs.push(p.sig);
    for (const [k, v] of p.m.functions) m.functions.set(k, v);
    for (const [k, v] of p.m.classes) m.classes.set(k, v);
    for (const [k, v] of p.m.imports) m.imports.set(k, v);
    for (const [k, v] of p.m.assignments) m.assignments.set(k, v);
    for (const d of p.m.dependencies) m.dependencies.add(d);
    for (const [k, v] of p.m.typeVars) m.typeVars.set(k, v);
    for (const [k, v] of p.m.typeAliases) m.typeAliases.set(k, v);
    m.starImports.push(...p.m.starImports);
    for (const b of p.binds) bindCount.set(b, (bindCount.get(b) ?? 0) + 1);
  }
  for (const [name, n] of bindCount) {
    if (n > 1) {
      m.rebound.add(name);
      m.assignments.delete(name);
    }
  }
  return Object.assign(m, { signature: sigs.join(',') });
}

function summariseStatement(stmt: PyNode, text: string, moduleName: string, isPackage: boolean, key: string): Partial {
  const m = emptySummary(moduleName, isPackage);
  const binds: string[] = [];
  const bump = (n: string) => binds.push(n);
  const t = (n: PyNode) => text.slice(n.start, n.end);

  const visitStatements = (stmts: PyNode[]) => {
    for (const s of stmts) {
      switch (s.type) {
        case 'function_definition':
        case 'decorated_definition': {
          const def = unwrapDecorated(s);
          if (def.type === 'function_definition') {
            const f = summariseFunction(s, text);
            if (f) {
              m.functions.set(f.name, f);
              bump(f.name);
            }
          } else if (def.type === 'class_definition') {
            const c = summariseClass(s, text);
            if (c) {
              m.classes.set(c.name, c);
              bump(c.name);
            }
          }
          break;
        }
        case 'class_definition': {
          const c = summariseClass(s, text);
          if (c) {
            m.classes.set(c.name, c);
            bump(c.name);
          }
          break;
        }
        case 'import_statement':
        case 'import_from_statement':
        case 'future_import_statement':
          readImport(s, text, m, bump);
          break;
        case 'expression_statement': {
          const a = s.children[0];
          if (a?.type === 'assignment') {
            const left = child(a, 'left');
            const right = child(a, 'right');
            const ann = child(a, 'type');
            if (left?.type === 'identifier') {
              const name = t(left);
              bump(name);
              const hint = ann ? annotationHint(ann, text) : right ? valueHint(right, text) : undefined;
              if (hint) m.assignments.set(name, hint);
              if (right) readTypeDefinition(name, right, text, m);
            } else if (left) {
              for (const id of identifiersIn(left)) bump(t(id));
            }
          }
          break;
        }
        case 'if_statement':
        case 'try_statement':
        case 'with_statement': {
          // Conditional imports/definitions (`try: import x except ImportError`) still count.
          for (const b of blocksOf(s)) visitStatements(b.children);
          break;
        }
        default:
          break;
      }
    }
  };
  visitStatements([stmt]);
  const sig = stmt.named ? internSignature(JSON.stringify([m.functions, m.classes, m.imports, m.assignments, m.starImports, binds, m.typeVars, m.typeAliases], sigReplacer)) : 0;
  return { key, m, binds, sig };
}

/** `T = TypeVar("T", bound=X)` and `Alias = Coroutine[...]` / `A | B`: recorded for annotation lookups. */
function readTypeDefinition(name: string, right: PyNode, text: string, m: ModuleSummary): void {
  if (right.type === 'call') {
    const f = child(right, 'function');
    const ft = f ? text.slice(f.start, f.end) : '';
    if (!/^(?:typing\.|typing_extensions\.)?TypeVar$/.test(ft)) return;
    const args = child(right, 'arguments');
    const bound = args ? namedChildren(args).find((a) => a.type === 'keyword_argument' && text.slice(a.start, a.end).startsWith('bound')) : undefined;
    const value = bound ? child(bound, 'value') : undefined;
    m.typeVars.set(name, value ? text.slice(value.start, value.end) : null);
    return;
  }
  if (right.type === 'subscript' || (right.type === 'binary_operator' && text.slice(right.start, right.end).includes('|'))) {
    m.typeAliases.set(name, text.slice(right.start, right.end));
  }
}

function blocksOf(node: PyNode): PyNode[] {
  const out: PyNode[] = [];
  const walk = (n: PyNode) => {
    for (const c of n.children) {
      if (c.type === 'block') out.push(c);
      else if (c.type.endsWith('_clause')) walk(c);
    }
  };
  walk(node);
  return out;
}

export function unwrapDecorated(node: PyNode): PyNode {
  return node.type === 'decorated_definition' ? child(node, 'definition') ?? node : node;
}

function decoratorNames(node: PyNode, text: string): string[] {
  if (node.type !== 'decorated_definition') return [];
  return node.children
    .filter((c) => c.type === 'decorator')
    .map((d) => {
      const e = namedChildren(d)[0];
      if (!e) return '';
      const callee = e.type === 'call' ? child(e, 'function') ?? e : e;
      return text.slice(callee.start, callee.end);
    });
}

export function summariseFunction(node: PyNode, text: string, inClass = false): FunctionSummary | undefined {
  const def = unwrapDecorated(node);
  const nameNode = child(def, 'name');
  if (!nameNode) return undefined;
  const decorators = decoratorNames(node, text);
  const isAsync = hasKeyword(def, 'async');
  const body = child(def, 'body');
  const params: FunctionSummary['params'] = [];
  const paramsNode = child(def, 'parameters');
  if (paramsNode) {
    for (const p of namedChildren(paramsNode)) {
      const info = paramInfo(p, text);
      if (info) params.push(info);
    }
  }
  const ret = child(def, 'return_type');
  const binding = decorators.some((d) => d === 'staticmethod') ? 'static' : decorators.some((d) => d === 'classmethod') ? 'class' : undefined;
  const paramList = paramsNode ? paramListOf(paramsNode, text) : [];
  const hasYield = !!body && containsYield(body, text);
  const fn: FunctionSummary = {
    name: text.slice(nameNode.start, nameNode.end),
    isAsync,
    isAsyncGenerator: isAsync && hasYield,
    opaqueDecorators: decorators.filter((d) => !TRANSPARENT_DECORATORS.has(d) && !d.endsWith('.setter')),
    isAsyncContextManager: decorators.some((d) => d === 'asynccontextmanager' || d === 'contextlib.asynccontextmanager'),
    isContextManager: decorators.some((d) => d === 'contextmanager' || d === 'contextlib.contextmanager'),
    isProperty: decorators.some((d) => d === 'property' || d.endsWith('cached_property')),
    returns: ret ? annotationHint(ret, text) : undefined,
    params,
    paramList,
  };
  if (ret) fn.returnAnn = text.slice(ret.start, ret.end);
  if (binding) fn.binding = binding;
  if (!isAsync && !hasYield && body) {
    const self = inClass && binding !== 'static' ? paramList[0]?.name : undefined;
    const inferred = inferReturns(body, text, paramList, self);
    if (inferred) fn.inferred = inferred;
  }
  return fn;
}

function paramListOf(paramsNode: PyNode, text: string): ParamSummary[] {
  const out: ParamSummary[] = [];
  let kwOnly = false;
  for (const p of namedChildren(paramsNode)) {
    if (p.type === 'positional_separator') {
      for (const q of out) if (q.kind === 'pos') q.kind = 'posonly';
      continue;
    }
    if (p.type === 'keyword_separator') {
      kwOnly = true;
      continue;
    }
    const inner = p.type === 'typed_parameter' ? namedChildren(p)[0] : p;
    const ann = child(p, 'type');
    const annText = ann ? text.slice(ann.start, ann.end) : undefined;
    if (inner?.type === 'list_splat_pattern' || inner?.type === 'dictionary_splat_pattern') {
      const id = namedChildren(inner)[0];
      out.push({ name: id ? text.slice(id.start, id.end) : '', kind: inner.type === 'list_splat_pattern' ? 'varargs' : 'varkw', ann: annText });
      if (inner.type === 'list_splat_pattern') kwOnly = true;
      continue;
    }
    const info = paramInfo(p, text);
    if (!info) continue;
    out.push({ name: info.name, kind: kwOnly ? 'kwonly' : 'pos', ann: annText });
  }
  return out;
}

/**
 * The `return` values of a sync body, when each is understood: a call or name resolvable in module
 * scope (its head is not a local), a parameter returned unchanged, `None`, or `self.method()`.
 */
function inferReturns(body: PyNode, text: string, paramList: ParamSummary[], self: string | undefined): InferredReturn | undefined {
  const locals = new Set<string>();
  const returns: PyNode[] = [];
  const bindIn = (n: PyNode) => {
    for (const id of identifiersIn(n)) locals.add(text.slice(id.start, id.end));
  };
  forEachStatement(body, (c) => {
    switch (c.type) {
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition': {
        const name = child(unwrapDecorated(c), 'name');
        if (name) locals.add(text.slice(name.start, name.end));
        return;
      }
      case 'return_statement':
        returns.push(c);
        return;
      case 'expression_statement':
        for (let a = c.children[0]; a && (a.type === 'assignment' || a.type === 'augmented_assignment'); a = child(a, 'right')!) {
          const left = child(a, 'left');
          if (left) bindIn(left);
        }
        return;
      case 'for_statement': {
        const left = child(c, 'left');
        if (left) bindIn(left);
        return;
      }
      case 'with_statement':
      case 'import_statement':
      case 'import_from_statement':
      case 'global_statement':
      case 'nonlocal_statement':
        // Over-approximates (every name in the clause): a local wrongly assumed only loses inference.
        for (const k of c.children) if (k.type !== 'block') bindIn(k);
        return;
      default:
        if (c.type.endsWith('_clause')) for (const k of c.children) if (k.type !== 'block') bindIn(k);
    }
  });
  if (!returns.length) return undefined;
  // Walrus targets bind in the function scope from inside any expression.
  const walrus = text.indexOf(':=', body.start);
  if (walrus !== -1 && walrus < body.end) collectWalrus(body, text, locals);
  const params = new Set(paramList.map((p) => p.name));
  const sources: ReturnSource[] = [];
  for (const r of returns) {
    const value = namedChildren(r)[0];
    if (!value) {
      sources.push({ k: 'none' });
      continue;
    }
    if (!returnSources(value, text, params, locals, self, sources)) return undefined;
  }
  return { sources, fallsOff: !endsTerminally(body) };
}

function collectWalrus(n: PyNode, text: string, out: Set<string>): void {
  for (const c of n.children) {
    if (c.type === 'named_expression') {
      const name = child(c, 'name');
      if (name) out.add(text.slice(name.start, name.end));
    }
    collectWalrus(c, text, out);
  }
}

function returnSources(value: PyNode, text: string, params: Set<string>, locals: Set<string>, self: string | undefined, out: ReturnSource[]): boolean {
  let v = value;
  while (v.type === 'parenthesized_expression' && namedChildren(v).length === 1) v = namedChildren(v)[0];
  if (v.type === 'none') {
    out.push({ k: 'none' });
    return true;
  }
  if (v.type === 'conditional_expression') {
    const parts = namedChildren(v);
    return parts.length === 3 && returnSources(parts[0], text, params, locals, self, out) && returnSources(parts[2], text, params, locals, self, out);
  }
  if (v.type === 'identifier') {
    const name = text.slice(v.start, v.end);
    if (params.has(name) && !locals.has(name)) {
      out.push({ k: 'param', name });
      return true;
    }
  }
  if (v.type === 'call') {
    const f = child(v, 'function');
    if (!f || !isDotted(f)) return false;
    const dotted = text.slice(f.start, f.end);
    const head = dotted.split('.')[0];
    if (self && head === self && f.type === 'attribute' && dotted.split('.').length === 2 && !locals.has(head)) {
      out.push({ k: 'self-call', method: dotted.split('.')[1] });
      return true;
    }
    if (params.has(head) || locals.has(head)) return false;
    out.push({ k: 'hint', hint: { dotted, how: 'call' } });
    return true;
  }
  return false;
}

/** The block cannot fall off its end: its last statement returns or raises (through if/else). */
function endsTerminally(block: PyNode): boolean {
  const stmts = namedChildren(block);
  const last = stmts[stmts.length - 1];
  if (!last) return false;
  if (last.type === 'return_statement' || last.type === 'raise_statement') return true;
  if (last.type === 'if_statement') {
    const blocks = blocksOf(last);
    const hasElse = last.children.some((c) => c.type === 'else_clause');
    return hasElse && blocks.every(endsTerminally);
  }
  return false;
}

export function paramInfo(p: PyNode, text: string): { name: string; hint?: TypeHint } | undefined {
  switch (p.type) {
    case 'identifier':
      return { name: text.slice(p.start, p.end) };
    case 'typed_parameter':
    case 'typed_default_parameter':
    case 'default_parameter': {
      const id = child(p, 'name') ?? p.children.find((c) => c.type === 'identifier');
      if (!id || id.type !== 'identifier') return undefined;
      const ann = child(p, 'type');
      return { name: text.slice(id.start, id.end), hint: ann ? annotationHint(ann, text) : undefined };
    }
    default:
      return undefined;
  }
}

/** Statements of a body, through compound statements' blocks and clauses, not into nested definitions. */
function forEachStatement(block: PyNode, fn: (s: PyNode) => void): void {
  for (const c of block.children) {
    fn(c);
    if (c.type === 'function_definition' || c.type === 'class_definition' || c.type === 'decorated_definition') continue;
    for (const k of c.children) {
      if (k.type === 'block') forEachStatement(k, fn);
      else if (k.type.endsWith('_clause')) forEachStatement(k, fn);
    }
  }
}

function containsYield(node: PyNode, text: string): boolean {
  // Most bodies never mention `yield`: skip the walk (a false hit only costs the walk).
  const at = text.indexOf('yield', node.start);
  return at !== -1 && at < node.end && containsYieldNode(node);
}

function containsYieldNode(node: PyNode): boolean {
  for (const c of node.children) {
    if (c.type === 'yield') return true;
    if (c.type === 'function_definition' || c.type === 'class_definition' || c.type === 'lambda' || c.type === 'decorated_definition') continue;
    if (containsYieldNode(c)) return true;
  }
  return false;
}

function summariseClass(node: PyNode, text: string): ClassSummary | undefined {
  const def = unwrapDecorated(node);
  const nameNode = child(def, 'name');
  const body = child(def, 'body');
  if (!nameNode) return undefined;
  const bases: string[] = [];
  const sup = child(def, 'superclasses');
  if (sup) {
    for (const b of namedChildren(sup)) {
      if (b.type === 'identifier' || b.type === 'attribute') bases.push(text.slice(b.start, b.end));
      else if (b.type === 'subscript') {
        const v = child(b, 'value');
        if (v) bases.push(text.slice(v.start, v.end));
      } else if (b.type === 'generic_type') {
        const v = b.children[0];
        if (v) bases.push(text.slice(v.start, v.end));
      }
    }
  }
  const c: ClassSummary = { name: text.slice(nameNode.start, nameNode.end), bases, methods: new Map(), attributes: new Map() };
  const addAttr = (name: string, hint: TypeHint | undefined) => {
    const list = c.attributes.get(name) ?? [];
    // An attribute with a value we cannot type is recorded as unknown so it is never trusted.
    list.push(hint ?? { dotted: '?', how: 'alias' });
    c.attributes.set(name, list);
  };
  for (const s of body?.children ?? []) {
    const d = unwrapDecorated(s);
    if (d.type === 'function_definition') {
      const f = summariseFunction(s, text, true);
      if (!f) continue;
      c.methods.set(f.name, f);
      const fbody = child(d, 'body');
      if (fbody) collectSelfAssignments(fbody, text, f, addAttr);
    } else if (s.type === 'expression_statement' && s.children[0]?.type === 'assignment') {
      const a = s.children[0];
      const left = child(a, 'left');
      if (left?.type !== 'identifier') continue;
      const ann = child(a, 'type');
      const right = child(a, 'right');
      addAttr(text.slice(left.start, left.end), ann ? annotationHint(ann, text) : right ? valueHint(right, text) : undefined);
    }
  }
  return c;
}

function collectSelfAssignments(
  body: PyNode,
  text: string,
  method: FunctionSummary,
  add: (name: string, hint: TypeHint | undefined) => void,
): void {
  const self = method.params[0]?.name;
  if (!self) return;
  const visit = (c: PyNode) => {
    const left = child(c, 'left');
    if (left?.type === 'attribute') {
      const obj = child(left, 'object');
      const attr = child(left, 'attribute');
      if (obj && attr && text.slice(obj.start, obj.end) === self) {
        const ann = child(c, 'type');
        const right = child(c, 'right');
        let hint: TypeHint | undefined;
        if (c.type === 'assignment') {
          if (ann) hint = annotationHint(ann, text);
          else if (right?.type === 'identifier') {
            // `self.x = param` takes the parameter's annotation.
            const pname = text.slice(right.start, right.end);
            hint = method.params.find((p) => p.name === pname)?.hint;
          } else if (right) hint = valueHint(right, text);
        }
        add(text.slice(attr.start, attr.end), hint);
      }
    }
    // `self.a = self.b = value` nests the second assignment on the right.
    const right = child(c, 'right');
    if (right?.type === 'assignment') visit(right);
  };
  // Assignments are statements: only statement level needs reading, not every expression.
  forEachStatement(body, (s) => {
    if (s.type !== 'expression_statement') return;
    for (const c of s.children) if (c.type === 'assignment' || c.type === 'augmented_assignment') visit(c);
  });
}

/** Hint for `x = <value>`: constructor/factory calls, awaited calls and aliases. */
export function valueHint(value: PyNode, text: string): TypeHint | undefined {
  let v = value;
  let awaited = false;
  if (v.type === 'await') {
    awaited = true;
    v = namedChildren(v)[0] ?? v;
  }
  if (v.type === 'call') {
    const f = child(v, 'function');
    if (f && isDotted(f)) return { dotted: text.slice(f.start, f.end), how: awaited ? 'await-call' : 'call' };
    return undefined;
  }
  if (!awaited && isDotted(v)) return { dotted: text.slice(v.start, v.end), how: 'alias' };
  return undefined;
}

function isDotted(n: PyNode): boolean {
  if (n.type === 'identifier') return true;
  if (n.type === 'attribute') {
    const o = child(n, 'object');
    return !!o && isDotted(o);
  }
  return false;
}

/** Class named by an annotation: `Foo`, `"Foo"`, `mod.Foo`, `Optional[Foo]`, `Foo | None`. */
export function annotationHint(typeNode: PyNode, text: string): TypeHint | undefined {
  let n: PyNode | undefined = typeNode.type === 'type' ? namedChildren(typeNode)[0] : typeNode;
  for (let guard = 0; n && guard < 5; guard++) {
    if (n.type === 'identifier' || n.type === 'attribute') {
      if (!isDotted(n)) return undefined;
      return { dotted: text.slice(n.start, n.end), how: 'annotation' };
    }
    if (n.type === 'string') {
      const s = text.slice(n.start, n.end).replace(/^[rbuf]*['"]{1,3}|['"]{1,3}$/gi, '').trim();
      const m = /^(?:Optional\[\s*([\w.]+)\s*\]|([\w.]+)(?:\s*\|\s*None)?)$/.exec(s);
      const d = m?.[1] ?? m?.[2];
      return d ? { dotted: d, how: 'annotation' } : undefined;
    }
    if (n.type === 'binary_operator') {
      const l = child(n, 'left');
      const r = child(n, 'right');
      if (r?.type === 'none') n = l;
      else if (l?.type === 'none') n = r;
      else return undefined;
      continue;
    }
    if (n.type === 'generic_type' || n.type === 'subscript') {
      const head = n.type === 'subscript' ? child(n, 'value') : n.children[0];
      const headText = head ? text.slice(head.start, head.end) : '';
      if (headText !== 'Optional' && headText !== 'typing.Optional') return undefined;
      const arg = n.type === 'subscript' ? child(n, 'subscript') : namedChildren(n)[1];
      n = arg?.type === 'type_parameter' ? namedChildren(namedChildren(arg)[0] ?? arg)[0] ?? namedChildren(arg)[0] : arg;
      if (n?.type === 'type') n = namedChildren(n)[0];
      continue;
    }
    return undefined;
  }
  return undefined;
}

export function identifiersIn(n: PyNode): PyNode[] {
  if (n.type === 'identifier') return [n];
  if (n.type === 'attribute' || n.type === 'subscript') return [];
  const out: PyNode[] = [];
  for (const c of n.children) out.push(...identifiersIn(c));
  return out;
}

function readImport(s: PyNode, text: string, m: ModuleSummary, bump: (n: string) => void): void {
  const t = (n: PyNode) => text.slice(n.start, n.end).replace(/\s+/g, '');
  if (s.type === 'import_statement') {
    for (const n of childrenByField(s, 'name')) {
      if (n.type === 'aliased_import') {
        const target = child(n, 'name');
        const alias = child(n, 'alias');
        if (!target || !alias) continue;
        m.imports.set(t(alias), t(target));
        m.dependencies.add(t(target));
        bump(t(alias));
      } else {
        const full = t(n);
        const head = full.split('.')[0];
        // `import a.b.c` binds `a`; keep `a` as a module.
        if (!m.imports.has(head) || m.imports.get(head) === head) m.imports.set(head, head);
        m.dependencies.add(full);
        bump(head);
      }
    }
    return;
  }
  if (s.type === 'future_import_statement') return;
  const modNode = child(s, 'module_name');
  if (!modNode) return;
  let base: string;
  if (modNode.type === 'relative_import') {
    const prefix = modNode.children.find((c) => c.type === 'import_prefix');
    const dots = prefix ? t(prefix).length : 0;
    const rest = modNode.children.find((c) => c.type === 'dotted_name');
    const pkgParts = m.name.split('.');
    // A package's own `from . import x` is relative to itself; a module's to its parent.
    const keep = pkgParts.length - (m.isPackage ? dots - 1 : dots);
    if (keep < 0) return;
    base = [...pkgParts.slice(0, keep), ...(rest ? [t(rest)] : [])].filter(Boolean).join('.');
  } else {
    base = t(modNode);
  }
  m.dependencies.add(base);
  if (s.children.some((c) => c.type === 'wildcard_import')) {
    m.starImports.push(base);
    return;
  }
  for (const n of childrenByField(s, 'name')) {
    if (n.type === 'aliased_import') {
      const target = child(n, 'name');
      const alias = child(n, 'alias');
      if (!target || !alias) continue;
      m.imports.set(t(alias), joinName(base, t(target)));
      m.dependencies.add(joinName(base, t(target)));
      bump(t(alias));
    } else {
      m.imports.set(t(n), joinName(base, t(n)));
      m.dependencies.add(joinName(base, t(n)));
      bump(t(n));
    }
  }
}

function joinName(a: string, b: string): string {
  return a ? `${a}.${b}` : b;
}
