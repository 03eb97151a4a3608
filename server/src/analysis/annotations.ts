// Owns what a type annotation says about awaitability: a tiny parser for annotation text (plain or
// quoted, `X | Y`, subscripts) and a classifier that resolves names through the workspace index
// (typing / collections.abc aliases, TypeVar bounds, type aliases, workspace classes).
import type { ModuleSummary } from './summary';
import type { Ty, WorkspaceIndex } from './workspace';

export type Ann =
  | { k: 'name'; dotted: string; args: Ann[] }
  | { k: 'none' }
  | { k: 'union'; items: Ann[] }
  | { k: 'other' };

/** `awaitable`: the value is (maybe, when `maybe`) an awaitable; `never`: it cannot be one. */
export type Awaitability =
  | { k: 'awaitable'; maybe: boolean; result?: Ty; noun: 'coroutine' | 'awaitable' }
  | { k: 'never' }
  | { k: 'unknown'; typeVar?: boolean };

const OTHER: Ann = { k: 'other' };
const TOKEN = /\s*(?:([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)|([[\],|])|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\S))/y;

/** Parses annotation text; anything it does not understand becomes `other` (never trusted). */
export function parseAnnotation(text: string, depth = 0): Ann {
  const body = unquote(text.trim());
  if (body === undefined || depth > 4) return OTHER;
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(body); m; m = TOKEN.exec(body)) tokens.push(m[0].trim());
  let i = 0;
  const expr = (): Ann => {
    const items = [primary()];
    while (tokens[i] === '|') {
      i++;
      items.push(primary());
    }
    return items.length === 1 ? items[0] : { k: 'union', items };
  };
  const args = (): Ann[] => {
    const out: Ann[] = [];
    while (i < tokens.length && tokens[i] !== ']') {
      out.push(expr());
      if (tokens[i] === ',') i++;
      else break;
    }
    if (tokens[i] === ']') i++;
    return out;
  };
  const primary = (): Ann => {
    const tok = tokens[i++];
    if (tok === undefined) return OTHER;
    if (tok === '[') {
      args();
      return OTHER;
    }
    if (/^['"]/.test(tok)) return parseAnnotation(tok, depth + 1);
    if (!/^[A-Za-z_]/.test(tok)) return OTHER;
    const dotted = tok.replace(/\s+/g, '');
    if (dotted === 'None') return { k: 'none' };
    if (tokens[i] === '[') {
      i++;
      return { k: 'name', dotted, args: args() };
    }
    return { k: 'name', dotted, args: [] };
  };
  const r = expr();
  return i === tokens.length ? r : OTHER;
}

function unquote(s: string): string | undefined {
  const m = /^[rRuU]?('''|"""|'|")([\s\S]*)\1$/.exec(s);
  if (!m) return /^[bBfF]/.test(s) && /['"]$/.test(s) ? undefined : s;
  return m[2];
}

const TYPING_MODULES = /^(?:typing|typing_extensions|collections\.abc|_collections_abc|types)\./;
/** Builtin and typing classes a coroutine object is never an instance of. */
const NEVER_AWAITABLE = new Set([
  'builtins.int', 'builtins.str', 'builtins.float', 'builtins.bool', 'builtins.bytes', 'builtins.bytearray', 'builtins.complex',
  'builtins.list', 'builtins.dict', 'builtins.set', 'builtins.frozenset', 'builtins.tuple', 'builtins.type', 'builtins.range',
  'typing.List', 'typing.Dict', 'typing.Set', 'typing.FrozenSet', 'typing.Tuple', 'typing.Type', 'typing.Literal', 'typing.Callable',
  'typing.Sequence', 'typing.MutableSequence', 'typing.Mapping', 'typing.MutableMapping', 'typing.Sized', 'typing.Hashable',
  'typing.LiteralString', 'typing.Text', 'typing.ByteString', 'typing.Pattern', 'typing.Match', 'typing.SupportsInt',
  'typing.SupportsFloat', 'typing.SupportsIndex', 'typing.Callable',
]);
const BUILTIN_TYPES = new Set(['int', 'str', 'float', 'bool', 'bytes', 'bytearray', 'complex', 'list', 'dict', 'set', 'frozenset', 'tuple', 'type', 'range', 'object']);

const UNKNOWN: Awaitability = { k: 'unknown' };
const NEVER: Awaitability = { k: 'never' };

type Cache = { generation: number; results: Map<string, Awaitability> };
const caches = new WeakMap<WorkspaceIndex, Cache>();

/** What an annotation (text, written in `mod`) says about awaitability; cached per index generation. */
export function awaitabilityOf(index: WorkspaceIndex, annotation: string, mod: ModuleSummary): Awaitability {
  let cache = caches.get(index);
  if (!cache || cache.generation !== index.generation) {
    cache = { generation: index.generation, results: new Map() };
    caches.set(index, cache);
  }
  const key = `${mod.name}\u0000${annotation}`;
  let r = cache.results.get(key);
  if (!r) {
    r = classify(index, parseAnnotation(annotation), mod, 0);
    cache.results.set(key, r);
  }
  return r;
}

function classify(index: WorkspaceIndex, ann: Ann, mod: ModuleSummary, depth: number): Awaitability {
  if (depth > 8) return UNKNOWN;
  switch (ann.k) {
    case 'none':
      return NEVER;
    case 'other':
      return UNKNOWN;
    case 'union':
      return combine(ann.items.map((a) => classify(index, a, mod, depth + 1)));
    case 'name':
      return classifyName(index, ann, mod, depth);
  }
}

function combine(parts: Awaitability[]): Awaitability {
  const awaitable = parts.find((p): p is Extract<Awaitability, { k: 'awaitable' }> => p.k === 'awaitable');
  if (awaitable) return { ...awaitable, maybe: true, result: undefined };
  return parts.every((p) => p.k === 'never') ? NEVER : UNKNOWN;
}

function classifyName(index: WorkspaceIndex, ann: Extract<Ann, { k: 'name' }>, mod: ModuleSummary, depth: number): Awaitability {
  const q = qualify(index, ann.dotted, mod, 0);
  if (!q) return UNKNOWN;
  const typing = TYPING_MODULES.test(q) ? `typing.${q.slice(q.lastIndexOf('.') + 1)}` : q;
  switch (typing) {
    case 'typing.Optional':
      return ann.args.length === 1 ? combine([classify(index, ann.args[0], mod, depth + 1), NEVER]) : UNKNOWN;
    case 'typing.Union':
      return ann.args.length ? combine(ann.args.map((a) => classify(index, a, mod, depth + 1))) : UNKNOWN;
    case 'typing.Annotated':
      return ann.args.length ? classify(index, ann.args[0], mod, depth + 1) : UNKNOWN;
    case 'typing.Coroutine':
    case 'typing.CoroutineType':
    case 'typing.Awaitable': {
      const last = ann.args[ann.args.length - 1];
      const result = last?.k === 'name' && last.args.length === 0 ? index.fromHint({ dotted: last.dotted, how: 'annotation' }, mod) : undefined;
      return { k: 'awaitable', maybe: false, result, noun: typing === 'typing.Awaitable' ? 'awaitable' : 'coroutine' };
    }
  }
  if (NEVER_AWAITABLE.has(typing) || (q.startsWith('builtins.') && NEVER_AWAITABLE.has(q))) return NEVER;
  return classifyWorkspaceName(index, q, depth);
}

/** TypeVars (by bound), type aliases and classes defined in the workspace. */
function classifyWorkspaceName(index: WorkspaceIndex, q: string, depth: number): Awaitability {
  const at = q.lastIndexOf('.');
  const owner = at > 0 ? index.modules.get(q.slice(0, at)) : undefined;
  if (!owner) return UNKNOWN;
  const name = q.slice(at + 1);
  if (owner.rebound.has(name)) return UNKNOWN;
  if (owner.typeVars.has(name)) {
    const bound = owner.typeVars.get(name);
    if (!bound) return { k: 'unknown', typeVar: true };
    const b = classify(index, parseAnnotation(bound), owner, depth + 1);
    return b.k === 'awaitable' ? { ...b, result: undefined } : UNKNOWN;
  }
  const alias = owner.typeAliases.get(name);
  if (alias !== undefined) return classify(index, parseAnnotation(alias), owner, depth + 1);
  const cls = owner.classes.get(name);
  if (cls) {
    // A class that cannot gain `__await__` from an unknown base is never awaitable.
    return index.classHasMember({ k: 'ws', q, mod: owner, cls }, '__await__') === false ? NEVER : UNKNOWN;
  }
  return UNKNOWN;
}

/** Fully qualified name of a dotted name written in `mod`, following workspace re-exports. */
export function qualify(index: WorkspaceIndex, dotted: string, mod: ModuleSummary, depth: number): string | undefined {
  if (depth > 8) return undefined;
  const dot = dotted.indexOf('.');
  const head = dot === -1 ? dotted : dotted.slice(0, dot);
  const rest = dot === -1 ? '' : dotted.slice(dot);
  if (mod.rebound.has(head)) return undefined;
  const imp = mod.imports.get(head);
  if (imp) return canonical(index, imp + rest, depth + 1);
  if (mod.classes.has(head) || mod.typeVars.has(head) || mod.typeAliases.has(head) || mod.functions.has(head) || mod.assignments.has(head)) {
    return `${mod.name}.${dotted}`;
  }
  for (const star of mod.starImports) {
    const sm = index.modules.get(star);
    if (sm && sm !== mod) {
      const r = qualify(index, dotted, sm, depth + 1);
      if (r) return r;
    } else if (/^(?:typing|typing_extensions|collections\.abc)$/.test(star)) {
      return `${star}.${dotted}`;
    }
  }
  return BUILTIN_TYPES.has(head) && !rest ? `builtins.${head}` : undefined;
}

function canonical(index: WorkspaceIndex, q: string, depth: number): string | undefined {
  if (depth > 8) return undefined;
  const parts = q.split('.');
  for (let i = parts.length - 1; i >= 1; i--) {
    const mod = index.modules.get(parts.slice(0, i).join('.'));
    if (!mod) continue;
    return qualify(index, parts.slice(i).join('.'), mod, depth + 1);
  }
  return q;
}
