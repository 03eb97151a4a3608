// Owns name binding for one file: which names each function (or the module) binds, how, and where
// every name is read. Rules use it to tell "assigned and never used" and single-binding names
// (the only ones whose value the inference trusts).
import { child, namedChildren, PyNode } from './syntax';

export type BindingKind = 'param' | 'assign' | 'augassign' | 'for' | 'with' | 'walrus' | 'import' | 'def' | 'except' | 'other';

export interface Binding {
  kind: BindingKind;
  /** The identifier being bound. */
  target: PyNode;
  /** Assigned value (assignments, walrus, `with ... as`). */
  value?: PyNode;
  /** Position inside a tuple target (`a, b = ...`), with the target arity. */
  index?: number;
  arity?: number;
  /** Parameter annotation. */
  annotation?: PyNode;
  /** `async with` item. */
  asyncWith?: boolean;
  /** Parameter position (0 = self in methods). */
  paramIndex?: number;
}

export class Scope {
  readonly bindings = new Map<string, Binding[]>();
  /** Reads of each name, including reads from nested functions, lambdas and comprehensions. */
  readonly loads = new Map<string, PyNode[]>();
  readonly declaredNonLocal = new Set<string>();
  /** `locals()`, `vars()`, `eval`, `exec`: every name might be read. */
  dynamic = false;

  constructor(
    readonly node: PyNode,
    readonly parent: Scope | null,
    readonly isAsync: boolean,
    /** Enclosing class node when this is a method. */
    readonly classNode: PyNode | null,
  ) {}

  get isModule(): boolean {
    return this.parent === null;
  }

  single(name: string): Binding | undefined {
    const b = this.bindings.get(name);
    if (!b || b.length !== 1 || this.declaredNonLocal.has(name)) return undefined;
    return b[0];
  }

  addBinding(name: string, b: Binding): void {
    const list = this.bindings.get(name);
    if (list) list.push(b);
    else this.bindings.set(name, [b]);
  }

  addLoad(name: string, n: PyNode): void {
    const list = this.loads.get(name);
    if (list) list.push(n);
    else this.loads.set(name, [n]);
  }
}

const TARGET_WRAPPERS = new Set(['tuple', 'list', 'pattern_list', 'tuple_pattern', 'list_pattern', 'parenthesized_expression', 'list_splat_pattern', 'list_splat']);

/** Scopes contributed by one top-level statement; cached per (reused) syntax node. */
interface StatementScopes {
  /** Module-level bindings made by the statement (a stand-in module scope for nested parents). */
  module: Scope;
  nested: [PyNode, Scope][];
}
export type ScopeCache = WeakMap<PyNode, StatementScopes>;

/**
 * Builds the module scope and one scope per function definition. Module-level reads are not
 * recorded (no rule needs them). With a cache, untouched top-level statements are not revisited.
 */
export function buildScopes(root: PyNode, text: string, cache?: ScopeCache): Map<PyNode, Scope> {
  const result = new Map<PyNode, Scope>();
  const moduleScope = new Scope(root, null, false, null);
  result.set(root, moduleScope);
  for (const stmt of root.children) {
    let entry = cache?.get(stmt);
    if (!entry) {
      entry = scopesOfStatement(root, stmt, text);
      cache?.set(stmt, entry);
    }
    for (const [name, list] of entry.module.bindings) for (const b of list) moduleScope.addBinding(name, b);
    for (const n of entry.module.declaredNonLocal) moduleScope.declaredNonLocal.add(n);
    if (entry.module.dynamic) moduleScope.dynamic = true;
    for (const [node, sc] of entry.nested) result.set(node, sc);
  }
  return result;
}

function scopesOfStatement(root: PyNode, stmt: PyNode, text: string): StatementScopes {
  const builder = new StatementScopeBuilder(text);
  const moduleScope = new Scope(root, null, false, null);
  builder.visitOne(stmt, moduleScope, []);
  return { module: moduleScope, nested: [...builder.scopes] };
}

/**
 * Walks one top-level statement, recording bindings in the scope they belong to and every read
 * in each scope that can see it (`loadScopes`: the enclosing functions, innermost last).
 */
class StatementScopeBuilder {
  readonly scopes = new Map<PyNode, Scope>();

  constructor(private readonly text: string) {}

  private t(n: PyNode): string {
    return this.text.slice(n.start, n.end);
  }

  private bindTargets(target: PyNode, scope: Scope, kind: BindingKind, value?: PyNode, extra?: Partial<Binding>): void {
    if (target.type === 'identifier') {
      scope.addBinding(this.t(target), { kind, target, value, ...extra });
      return;
    }
    if (TARGET_WRAPPERS.has(target.type)) {
      const items = namedChildren(target);
      items.forEach((it, i) => this.bindTargets(it, scope, kind, value, { ...extra, index: i, arity: items.length }));
    }
  }

  /** Subscripts and attributes inside targets (`a[i], b.x = ...`) read names. */
  private visitTargetsLoads(target: PyNode, scope: Scope, loadScopes: Scope[]): void {
    if (target.type === 'identifier') return;
    if (TARGET_WRAPPERS.has(target.type)) {
      for (const k of namedChildren(target)) this.visitTargetsLoads(k, scope, loadScopes);
      return;
    }
    this.visitOne(target, scope, loadScopes);
  }

  private visit(node: PyNode, scope: Scope, loadScopes: Scope[]): void {
    for (const c of node.children) this.visitOne(c, scope, loadScopes);
  }

  visitOne(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    switch (c.type) {
      case 'function_definition':
        return this.functionDefinition(c, scope, loadScopes);
      case 'class_definition':
        return this.classDefinition(c, scope, loadScopes);
      case 'lambda': {
        const body = child(c, 'body');
        if (body) this.visitOne(body, scope, loadScopes);
        const params = child(c, 'parameters');
        if (params) for (const p of namedChildren(params)) { const dv = child(p, 'value'); if (dv) this.visitOne(dv, scope, loadScopes); }
        return;
      }
      case 'assignment':
        return this.assignment(c, scope, loadScopes);
      case 'augmented_assignment':
        return this.augmentedAssignment(c, scope, loadScopes);
      case 'for_statement': {
        const left = child(c, 'left');
        if (left) {
          this.bindTargets(left, scope, 'for');
          this.visitTargetsLoads(left, scope, loadScopes);
        }
        for (const k of c.children) if (k.field !== 'left') this.visitOne(k, scope, loadScopes);
        return;
      }
      case 'as_pattern_target':
        return this.asPatternTarget(c, scope, loadScopes);
      case 'named_expression': {
        const name = child(c, 'name');
        const value = child(c, 'value');
        if (name) scope.addBinding(this.t(name), { kind: 'walrus', target: name, value });
        if (value) this.visitOne(value, scope, loadScopes);
        return;
      }
      case 'import_statement':
      case 'import_from_statement':
        return this.imports(c, scope);
      case 'global_statement':
      case 'nonlocal_statement':
        for (const id of namedChildren(c)) scope.declaredNonLocal.add(this.t(id));
        return;
      case 'delete_statement':
        // `del x` neither reads the value nor keeps it alive.
        for (const k of namedChildren(c)) if (k.type !== 'identifier' && k.type !== 'expression_list') this.visitOne(k, scope, loadScopes);
        return;
      case 'case_pattern':
        for (const id of identifiersDeep(c)) {
          scope.addBinding(this.t(id), { kind: 'other', target: id });
          for (const s of loadScopes) s.addLoad(this.t(id), id);
        }
        return;
      case 'identifier':
        return this.identifier(c, loadScopes);
      default:
        this.visit(c, scope, loadScopes);
    }
  }

  private functionDefinition(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    const node = c.parent ?? c;
    const name = child(c, 'name');
    if (name) scope.addBinding(this.t(name), { kind: 'def', target: name });
    const cls = node.type === 'block' && node.parent?.type === 'class_definition' ? node.parent
      : node.type === 'decorated_definition' && node.parent?.type === 'block' && node.parent.parent?.type === 'class_definition' ? node.parent.parent
      : null;
    // Methods do not see the class body's names: their enclosing scope is the class's.
    let outer = scope;
    while (outer.node.type === 'class_definition' && outer.parent) outer = outer.parent;
    const fs = new Scope(c, outer, c.children.some((k) => !k.named && k.type === 'async'), cls);
    this.scopes.set(c, fs);
    const params = child(c, 'parameters');
    let i = 0;
    for (const p of params ? namedChildren(params) : []) {
      const id = p.type === 'identifier' ? p : child(p, 'name') ?? p.children.find((k) => k.type === 'identifier');
      if (id && id.type === 'identifier') fs.addBinding(this.t(id), { kind: 'param', target: id, annotation: child(p, 'type'), paramIndex: i });
      i++;
      const dv = child(p, 'value');
      if (dv) this.visitOne(dv, scope, loadScopes);
      const ann = child(p, 'type');
      if (ann) this.visitOne(ann, scope, loadScopes);
    }
    const ret = child(c, 'return_type');
    if (ret) this.visitOne(ret, scope, loadScopes);
    const body = child(c, 'body');
    if (body) this.visit(body, fs, [...loadScopes, fs]);
  }

  private classDefinition(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    const name = child(c, 'name');
    if (name) scope.addBinding(this.t(name), { kind: 'def', target: name });
    const sup = child(c, 'superclasses');
    if (sup) this.visitOne(sup, scope, loadScopes);
    // Class bodies are not enclosing scopes for their methods; they share the outer scope's reads.
    const cs = new Scope(c, scope, false, null);
    const body = child(c, 'body');
    if (body) this.visit(body, cs, loadScopes);
  }

  private assignment(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    const left = child(c, 'left');
    const right = child(c, 'right');
    // A bare annotation `x: int` (no right side) binds nothing at runtime.
    if (right) {
      // `a = b = value` nests assignments on the right.
      if (right.type === 'assignment') {
        this.visitOne(right, scope, loadScopes);
        const inner = finalValue(right);
        if (left) this.bindTargets(left, scope, 'assign', inner);
      } else {
        this.visitOne(right, scope, loadScopes);
        if (left) this.bindTargets(left, scope, 'assign', right);
      }
    }
    if (left && left.type !== 'identifier') this.visitTargetsLoads(left, scope, loadScopes);
    const ann = child(c, 'type');
    if (ann) this.visitOne(ann, scope, loadScopes);
  }

  private augmentedAssignment(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    const left = child(c, 'left');
    const right = child(c, 'right');
    if (left?.type === 'identifier') {
      scope.addBinding(this.t(left), { kind: 'augassign', target: left });
      for (const s of loadScopes) s.addLoad(this.t(left), left);
    } else if (left) this.visitOne(left, scope, loadScopes);
    if (right) this.visitOne(right, scope, loadScopes);
  }

  /** `with x as y` and `except E as y`. */
  private asPatternTarget(c: PyNode, scope: Scope, loadScopes: Scope[]): void {
    const target = namedChildren(c)[0];
    const asPattern = c.parent;
    const value = asPattern ? namedChildren(asPattern)[0] : undefined;
    const inWith = asPattern?.parent?.type === 'with_item';
    const withStmt = inWith ? asPattern?.parent?.parent?.parent : undefined;
    if (target) {
      this.bindTargets(target, scope, inWith ? 'with' : 'except', value, {
        asyncWith: !!withStmt && withStmt.children.some((k) => !k.named && k.type === 'async'),
      });
      this.visitTargetsLoads(target, scope, loadScopes);
    }
  }

  private imports(c: PyNode, scope: Scope): void {
    for (const n of c.children) {
      if (n.field !== 'name') continue;
      const alias = n.type === 'aliased_import' ? child(n, 'alias') : undefined;
      const nameNode = alias ?? (n.type === 'dotted_name' ? namedChildren(n)[0] : undefined);
      if (nameNode) scope.addBinding(this.t(nameNode), { kind: 'import', target: nameNode });
    }
  }

  private identifier(c: PyNode, loadScopes: Scope[]): void {
    if (!isLoad(c)) return;
    const name = this.t(c);
    for (const s of loadScopes) s.addLoad(name, c);
    if (c.parent?.type === 'call' && c.field === 'function' && (name === 'locals' || name === 'vars' || name === 'eval' || name === 'exec')) {
      for (const s of loadScopes) s.dynamic = true;
    }
  }
}

function finalValue(a: PyNode): PyNode | undefined {
  let r = child(a, 'right');
  while (r?.type === 'assignment') r = child(r, 'right');
  return r;
}

function identifiersDeep(n: PyNode): PyNode[] {
  if (n.type === 'identifier') return [n];
  return n.children.flatMap(identifiersDeep);
}

function isLoad(id: PyNode): boolean {
  const p = id.parent;
  if (!p) return false;
  switch (p.type) {
    case 'attribute':
      return id.field === 'object';
    case 'keyword_argument':
      return id.field === 'value';
    case 'function_definition':
    case 'class_definition':
      return false;
    case 'parameters':
    case 'lambda_parameters':
    case 'typed_parameter':
    case 'list_splat_pattern':
    case 'dictionary_splat_pattern':
      return false;
    case 'default_parameter':
    case 'typed_default_parameter':
      return id.field === 'value';
    case 'dotted_name':
    case 'aliased_import':
    case 'import_statement':
    case 'import_from_statement':
    case 'relative_import':
    case 'global_statement':
    case 'nonlocal_statement':
    case 'as_pattern_target':
    case 'keyword_pattern':
      return false;
    case 'named_expression':
      return id.field !== 'name';
    case 'for_in_clause':
      return id.field !== 'left';
    default:
      return true;
  }
}

/** Nearest enclosing function definition (or the module root) of a node. */
export function enclosingScopeNode(n: PyNode): PyNode {
  let p = n.parent;
  while (p && p.type !== 'function_definition' && p.type !== 'module') p = p.parent;
  return p ?? n;
}

/** True when `name` at `node` is rebound by a lambda parameter or comprehension variable around it. */
export function shadowedNearby(node: PyNode, name: string, text: string): boolean {
  for (let p = node.parent; p && p.type !== 'function_definition' && p.type !== 'module'; p = p.parent) {
    if (p.type === 'lambda') {
      const params = child(p, 'parameters');
      if (params && identifiersDeep(params).some((i) => text.slice(i.start, i.end) === name)) return true;
    }
    if (p.type.endsWith('comprehension') || p.type === 'generator_expression') {
      for (const f of p.children) {
        if (f.type !== 'for_in_clause') continue;
        const left = child(f, 'left');
        if (left && identifiersDeep(left).some((i) => text.slice(i.start, i.end) === name)) return true;
      }
    }
  }
  return false;
}
