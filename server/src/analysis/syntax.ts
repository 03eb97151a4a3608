// Owns parsing: web-tree-sitter + the Python grammar, and a compact JS mirror of the syntax tree.
// Walking the wasm tree node by node is slow (~1 µs per node), so each parse is mirrored once into
// plain objects, and after an incremental re-parse every statement the edit did not touch is reused.
import * as path from 'node:path';
// `require` form so bundlers pick the package's CommonJS build (the ESM one needs import.meta.url).
import TreeSitter = require('web-tree-sitter');

type Language = TreeSitter.Language;
type Parser = TreeSitter.Parser;
type Tree = TreeSitter.Tree;
type TreeCursor = TreeSitter.TreeCursor;
const { Parser, Language } = TreeSitter;

/** A syntax node mirrored out of wasm. Offsets are UTF-16 code units, like JS strings and LSP. */
export interface PyNode {
  type: string;
  named: boolean;
  field: string | null;
  readonly start: number;
  readonly end: number;
  children: PyNode[];
  parent: PyNode | null;
  /** True for ERROR nodes and nodes containing them (set on the mirror, kept for reuse checks). */
  error: boolean;
}

/**
 * One edit. Offsets (or a line/column range) refer to the text left by the previous change in
 * the same batch, exactly like LSP's incremental `didChange` content changes.
 */
export type TextChange =
  | { start: number; end: number; text: string }
  | { range: { start: { row: number; column: number }; end: { row: number; column: number } }; text: string };

let languagePromise: Promise<Language> | undefined;

/**
 * Loads the runtime and grammar wasm once. `wasmDir` holds both files (the bundle's own folder);
 * without it they are resolved from node_modules, which is how tests run from source.
 */
export function loadPython(wasmDir?: string): Promise<Language> {
  if (!languagePromise) {
    languagePromise = (async () => {
      const runtimeWasm = wasmDir
        ? path.join(wasmDir, 'tree-sitter.wasm')
        : path.join(path.dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm');
      const grammarWasm = wasmDir
        ? path.join(wasmDir, 'tree-sitter-python.wasm')
        : require.resolve('tree-sitter-python/tree-sitter-python.wasm');
      const moduleOptions = { locateFile: () => runtimeWasm };
      await Parser.init(moduleOptions);
      // Emscripten fills the options object with the module's exports: the raw cursor functions.
      wasm = rawCursorApi(moduleOptions);
      return Language.load(grammarWasm);
    })();
  }
  return languagePromise;
}

/** One parsed Python text, re-parsed incrementally on edits. */
export class PySource {
  private tree: Tree;
  private mirror: MirrorNode;
  private lineStarts: number[] | undefined;

  private constructor(
    private readonly parser: Parser,
    private readonly types: TypeNames,
    public text: string,
  ) {
    const tree = parser.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree');
    this.tree = tree;
    this.mirror = mirrorTree(tree, types, null);
  }

  static create(language: Language, text: string): PySource {
    const parser = new Parser();
    parser.setLanguage(language);
    return new PySource(parser, typeNamesFor(language), text);
  }

  get root(): PyNode {
    return this.mirror;
  }

  /** Applies edits in order (each against the text left by the previous one) and re-parses once. */
  applyChanges(changes: readonly TextChange[]): void {
    let dirtyStart = Infinity;
    let dirtyEnd = -Infinity;
    let delta = 0;
    for (const change of changes) {
      const c = 'range' in change
        ? { start: this.offsetAt(change.range.start.row, change.range.start.column), end: this.offsetAt(change.range.end.row, change.range.end.column), text: change.text }
        : change;
      const startPos = this.pointAt(c.start);
      const oldEndPos = this.pointAt(c.end);
      const newText = this.text.slice(0, c.start) + c.text + this.text.slice(c.end);
      const newEnd = c.start + c.text.length;
      this.text = newText;
      this.lineStarts = undefined;
      const newEndPos = this.pointAt(newEnd);
      this.tree.edit({
        startIndex: c.start,
        oldEndIndex: c.end,
        newEndIndex: newEnd,
        startPosition: startPos,
        oldEndPosition: oldEndPos,
        newEndPosition: newEndPos,
      });
      const d = c.text.length - (c.end - c.start);
      // Keep one dirty window in new-text coordinates covering every change so far.
      if (dirtyEnd >= c.end) dirtyEnd += d;
      else if (dirtyEnd >= c.start) dirtyEnd = newEnd;
      if (dirtyStart > c.start) dirtyStart = c.start;
      dirtyEnd = Math.max(dirtyEnd, newEnd);
      delta += d;
    }
    if (changes.length === 0) return;
    const old = this.tree;
    const fresh = this.parser.parse(this.text, old);
    if (!fresh) throw new Error('tree-sitter returned no tree');
    for (const r of fresh.getChangedRanges(old)) {
      dirtyStart = Math.min(dirtyStart, r.startIndex);
      dirtyEnd = Math.max(dirtyEnd, r.endIndex);
    }
    old.delete();
    this.tree = fresh;
    this.mirror = mirrorTree(fresh, this.types, {
      old: this.mirror,
      dirtyStart,
      dirtyEnd,
      delta,
    });
  }

  /** Zero-based line/character (UTF-16) of an offset. */
  pointAt(offset: number): { row: number; column: number } {
    const starts = this.lines();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { row: lo, column: offset - starts[lo] };
  }

  offsetAt(row: number, column: number): number {
    const starts = this.lines();
    if (row >= starts.length) return this.text.length;
    const lineEnd = row + 1 < starts.length ? starts[row + 1] - 1 : this.text.length;
    return Math.min(starts[row] + Math.max(0, column), Math.max(lineEnd, starts[row]));
  }

  lineText(row: number): string {
    const starts = this.lines();
    const s = starts[row] ?? this.text.length;
    const e = row + 1 < starts.length ? starts[row + 1] : this.text.length;
    return this.text.slice(s, e).replace(/\r?\n$/, '');
  }

  get lineCount(): number {
    return this.lines().length;
  }

  dispose(): void {
    this.tree.delete();
    this.parser.delete();
  }

  private lines(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      const t = this.text;
      for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
}

interface TypeNames {
  types: string[];
  named: boolean[];
  fields: (string | null)[];
}
const typeNameCache = new WeakMap<Language, TypeNames>();
function typeNamesFor(language: Language): TypeNames {
  let t = typeNameCache.get(language);
  if (!t) {
    const types: string[] = [];
    const named: boolean[] = [];
    for (let i = 0; i < language.nodeTypeCount; i++) {
      types.push(language.nodeTypeForId(i) ?? '?');
      named.push(language.nodeTypeIsNamed(i));
    }
    const fields: (string | null)[] = [null];
    for (let i = 1; i <= language.fieldCount; i++) fields.push(language.fieldNameForId(i));
    t = { types, named, fields };
    typeNameCache.set(language, t);
  }
  return t;
}

/** The error symbol (0xFFFF) is outside the language's type table. */
function typeName(names: TypeNames, id: number): string {
  return names.types[id] ?? (id === 0xffff ? 'ERROR' : `#${id}`);
}

interface Reuse {
  old: PyNode;
  dirtyStart: number;
  dirtyEnd: number;
  delta: number;
}

/** The `ts_tree_cursor_*_wasm` exports: each reads and writes the cursor in the transfer buffer. */
interface RawCursorApi {
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_delete_wasm(tree: number): void;
}
const RAW_FUNCTIONS: (keyof RawCursorApi)[] = [
  '_ts_tree_cursor_current_node_type_id_wasm', '_ts_tree_cursor_current_field_id_wasm', '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm', '_ts_tree_cursor_current_node_is_missing_wasm', '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm', '_ts_tree_cursor_goto_parent_wasm', '_ts_tree_cursor_delete_wasm',
];
let wasm: RawCursorApi | undefined;

function rawCursorApi(module: object): RawCursorApi | undefined {
  const m = module as Record<string, unknown>;
  return RAW_FUNCTIONS.every((f) => typeof m[f] === 'function') ? (module as unknown as RawCursorApi) : undefined;
}

/** The walk the mirror needs; `start`/`end` are UTF-16 offsets. */
interface Walker {
  typeId(): number;
  fieldId(): number;
  start(): number;
  end(): number;
  missing(): boolean;
  firstChild(): boolean;
  nextSibling(): boolean;
  parent(): boolean;
  dispose(): void;
}

/**
 * Walks with the raw exports: the cursor state stays in wasm's transfer buffer between calls, so
 * each step is one call instead of the wrapper's copy-in/copy-out (the mirror's main cost). Only
 * valid while nothing else uses the buffer, which holds for one synchronous walk.
 */
function rawWalker(tree: Tree, api: RawCursorApi): Walker | undefined {
  const address = (tree as unknown as Record<number, unknown>)[0];
  if (typeof address !== 'number') return undefined;
  tree.walk(); // leaves the new cursor in the transfer buffer; the raw calls below own it from here
  return {
    typeId: () => api._ts_tree_cursor_current_node_type_id_wasm(address),
    fieldId: () => api._ts_tree_cursor_current_field_id_wasm(address),
    start: () => api._ts_tree_cursor_start_index_wasm(address),
    end: () => api._ts_tree_cursor_end_index_wasm(address),
    missing: () => api._ts_tree_cursor_current_node_is_missing_wasm(address) === 1,
    firstChild: () => api._ts_tree_cursor_goto_first_child_wasm(address) === 1,
    nextSibling: () => api._ts_tree_cursor_goto_next_sibling_wasm(address) === 1,
    parent: () => api._ts_tree_cursor_goto_parent_wasm(address) === 1,
    dispose: () => api._ts_tree_cursor_delete_wasm(address),
  };
}

function apiWalker(tree: Tree): Walker {
  const c: TreeCursor = tree.walk();
  return {
    typeId: () => c.nodeTypeId,
    fieldId: () => c.currentFieldId,
    start: () => c.startIndex,
    end: () => c.endIndex,
    missing: () => c.nodeIsMissing,
    firstChild: () => c.gotoFirstChild(),
    nextSibling: () => c.gotoNextSibling(),
    parent: () => c.gotoParent(),
    dispose: () => c.delete(),
  };
}

function mirrorTree(tree: Tree, names: TypeNames, reuse: Reuse | null): MirrorNode {
  const cursor = (wasm && process.env.LOOPSCOPE_SAFE_WALK !== '1' ? rawWalker(tree, wasm) : undefined) ?? apiWalker(tree);
  try {
    const root = readNode(cursor, names, null, { delta: 0 });
    // Old statements indexed by (start, type) so untouched ones can be found after the shift.
    const oldByStart = new Map<string, MirrorNode>();
    if (reuse) collectStatements(reuse.old as MirrorNode, 0, oldByStart);
    if (cursor.firstChild()) {
      readChildren(cursor, names, root, reuse, oldByStart, 0);
      cursor.parent();
    }
    return root;
  } finally {
    cursor.dispose();
  }
}

/**
 * Shared by every node of one reusable unit (a top-level statement, or a member of a top-level
 * class): moving the unit after an edit is one addition instead of a walk over its nodes.
 */
interface Anchor {
  delta: number;
}

class MirrorNode implements PyNode {
  readonly children: MirrorNode[] = [];

  constructor(
    readonly type: string,
    readonly named: boolean,
    public field: string | null,
    private readonly s: number,
    private readonly e: number,
    public parent: MirrorNode | null,
    public error: boolean,
    readonly anchor: Anchor,
  ) {}

  get start(): number {
    return this.s + this.anchor.delta;
  }

  get end(): number {
    return this.e + this.anchor.delta;
  }
}

function readNode(cursor: Walker, names: TypeNames, parent: MirrorNode | null, anchor: Anchor): MirrorNode {
  const id = cursor.typeId();
  const type = typeName(names, id);
  const delta = anchor.delta;
  return new MirrorNode(type, names.named[id] ?? true, names.fields[cursor.fieldId()] ?? null, cursor.start() - delta, cursor.end() - delta, parent, type === 'ERROR' || cursor.missing(), anchor);
}

/** Members of a top-level class (directly or decorated) are units of their own. */
function isClassMember(parent: MirrorNode): boolean {
  const cls = parent.type === 'block' ? parent.parent : null;
  if (cls?.type !== 'class_definition') return false;
  const holder = cls.parent?.type === 'decorated_definition' ? cls.parent : cls;
  return holder.parent !== null && holder.parent.parent === null;
}

/** Moves a reused unit and, for a class, each of its members (which have their own anchors). */
function shiftUnit(node: MirrorNode, d: number): void {
  node.anchor.delta += d;
  const cls = node.type === 'decorated_definition' ? node.children.find((k) => k.field === 'definition') : node;
  if (cls?.type !== 'class_definition') return;
  const body = cls.children.find((k) => k.type === 'block');
  for (const m of body?.children ?? []) if (m.anchor !== node.anchor) m.anchor.delta += d;
}

/** Reuse candidates: top-level statements and the members of top-level classes. */
function collectStatements(node: MirrorNode, depth: number, out: Map<string, MirrorNode>): void {
  for (const c of node.children) {
    if (!c.named) continue;
    out.set(`${c.start}:${c.type}`, c);
    if (depth > 0) continue;
    const cls = c.type === 'decorated_definition' ? c.children.find((k) => k.field === 'definition') : c;
    if (cls?.type !== 'class_definition') continue;
    const body = cls.children.find((k) => k.type === 'block');
    if (body) collectStatements(body, depth + 1, out);
  }
}

function readChildren(
  cursor: Walker,
  names: TypeNames,
  parent: MirrorNode,
  reuse: Reuse | null,
  oldByStart: Map<string, MirrorNode>,
  depth: number,
): void {
  const unitStarts = depth === 0 || isClassMember(parent);
  do {
    let node: MirrorNode | null = null;
    // Only units are reused: each owns its anchor, so moving it moves exactly its own nodes.
    if (reuse && unitStarts) {
      const s = cursor.start();
      const e = cursor.end();
      // A node strictly outside the dirty window (with a one-character margin) is textually identical.
      if (e < reuse.dirtyStart || s > reuse.dirtyEnd) {
        const shift = s > reuse.dirtyEnd ? reuse.delta : 0;
        const type = typeName(names, cursor.typeId());
        const old = oldByStart.get(`${s - shift}:${type}`);
        if (old && old.type === type && old.end - old.start === e - s) {
          node = old;
          if (shift !== 0) shiftUnit(old, shift);
          old.parent = parent;
          old.field = names.fields[cursor.fieldId()] ?? null;
        }
      }
    }
    if (!node) {
      node = readNode(cursor, names, parent, unitStarts ? { delta: 0 } : parent.anchor);
      if (cursor.firstChild()) {
        readChildren(cursor, names, node, reuse, oldByStart, depth + 1);
        cursor.parent();
      }
    }
    if (node.error) parent.error = true;
    parent.children.push(node);
  } while (cursor.nextSibling());
}

// ---- small helpers shared by the analysis ----

export function child(node: PyNode, field: string): PyNode | undefined {
  for (const c of node.children) if (c.field === field) return c;
  return undefined;
}

export function childrenByField(node: PyNode, field: string): PyNode[] {
  return node.children.filter((c) => c.field === field);
}

export function namedChildren(node: PyNode): PyNode[] {
  return node.children.filter((c) => c.named && c.type !== 'comment');
}

export function hasKeyword(node: PyNode, kw: string): boolean {
  for (const c of node.children) if (!c.named && c.type === kw) return true;
  return false;
}

export function textOf(src: string, node: PyNode): string {
  return src.slice(node.start, node.end);
}
