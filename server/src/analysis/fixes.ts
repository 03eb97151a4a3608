// Owns quick-fix edit computation: turns a finding's fix hints into text edits (offsets into the
// current text), and merges every fix in a file into one non-overlapping edit set ("fix all").
import { FileContext } from './infer';
import { Finding, FixHint } from './rules';
import { child, namedChildren } from './syntax';

export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface QuickFix {
  title: string;
  code: Finding['code'];
  edits: TextEdit[];
  preferred: boolean;
}

const TASK_SET = '_background_tasks';

export function fixesFor(ctx: FileContext, f: Finding): QuickFix[] {
  return f.fixes.map((h) => buildFix(ctx, f, h)).filter((x): x is QuickFix => !!x);
}

function buildFix(ctx: FileContext, f: Finding, h: FixHint): QuickFix | undefined {
  switch (h.kind) {
    case 'add-await': {
      const text = ctx.t(h.node);
      return {
        title: 'Add `await`',
        code: f.code,
        preferred: true,
        edits: [{ start: h.node.start, end: h.node.end, newText: h.parens ? `(await ${text})` : `await ${text}` }],
      };
    }
    case 'wrap-run':
      return {
        title: 'Run it with `asyncio.run(...)`',
        code: f.code,
        preferred: true,
        edits: [...ensureAsyncioImport(ctx), { start: h.node.start, end: h.node.end, newText: `asyncio.run(${ctx.t(h.node)})` }],
      };
    case 'replace-sleep': {
      const args = child(h.call, 'arguments');
      const call = `await ${h.framework}.sleep${args ? ctx.t(args) : '()'}`;
      // trio and anyio are named only when imported under their own name.
      if (h.framework !== 'asyncio' && ctx.module.imports.get(h.framework) !== h.framework) return undefined;
      return {
        title: `Replace with \`await ${h.framework}.sleep(...)\``,
        code: f.code,
        preferred: true,
        edits: [...(h.framework === 'asyncio' ? ensureAsyncioImport(ctx) : []), { start: h.call.start, end: h.call.end, newText: h.parens ? `(${call})` : call }],
      };
    }
    case 'make-async': {
      const keyword = h.stmt.type === 'for_statement' ? 'for' : 'with';
      return {
        title: `Use \`async ${keyword}\``,
        code: f.code,
        preferred: true,
        edits: [{ start: h.stmt.start, end: h.stmt.start, newText: 'async ' }],
      };
    }
    case 'pass-function': {
      const fn = child(h.call, 'function');
      const args = child(h.call, 'arguments');
      if (!fn || !args) return undefined;
      const inner = namedChildren(args).filter((a) => a.type !== 'comment').map((a) => ctx.t(a));
      return {
        title: `Pass \`${ctx.t(fn)}\` and its arguments instead of calling it`,
        code: f.code,
        preferred: true,
        edits: [{ start: h.call.start, end: h.call.end, newText: [ctx.t(fn), ...inner].join(', ') }],
      };
    }
    case 'keep-task': {
      const indent = indentOf(ctx.text, h.stmt.start);
      const edits: TextEdit[] = [...ensureTaskSet(ctx)];
      if (h.variable) {
        edits.push({
          start: h.stmt.end,
          end: h.stmt.end,
          newText: `\n${indent}${TASK_SET}.add(${h.variable})\n${indent}${h.variable}.add_done_callback(${TASK_SET}.discard)`,
        });
      } else {
        const v = h.fresh;
        edits.push({
          start: h.stmt.start,
          end: h.stmt.end,
          newText: `${v} = ${ctx.t(h.call)}\n${indent}${TASK_SET}.add(${v})\n${indent}${v}.add_done_callback(${TASK_SET}.discard)`,
        });
      }
      return { title: 'Keep a reference to the task', code: f.code, preferred: true, edits };
    }
  }
}

/** Every fix in the file as one edit list; edits overlapping an earlier one are skipped. */
export function fixAll(ctx: FileContext, findings: Finding[]): TextEdit[] {
  const shared = new Map<string, TextEdit>();
  const own: TextEdit[] = [];
  for (const f of findings) {
    const fix = fixesFor(ctx, f)[0];
    if (!fix) continue;
    for (const e of fix.edits) {
      if (e.start === e.end && (e.newText.startsWith('import asyncio') || e.newText.includes(`${TASK_SET} = set()`))) {
        shared.set(e.newText, e);
      } else own.push(e);
    }
  }
  own.sort((a, b) => a.start - b.start || a.end - b.end);
  const kept: TextEdit[] = [];
  let lastEnd = -1;
  for (const e of own) {
    if (e.start < lastEnd || (e.start === lastEnd && e.start === e.end)) continue;
    kept.push(e);
    lastEnd = e.end;
  }
  // Shared insertions go first, import before the task set.
  const head = [...shared.values()].sort((a, b) => a.start - b.start || (a.newText.startsWith('import') ? -1 : 1));
  return [...head, ...kept];
}

function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? '';
}

function hasAsyncioImport(ctx: FileContext): boolean {
  return ctx.module.imports.get('asyncio') === 'asyncio';
}

/** Offset where new top-level imports go: after the docstring and `from __future__` imports. */
function importInsertionPoint(ctx: FileContext): number {
  let at = 0;
  for (const s of namedChildren(ctx.root)) {
    if (s.type === 'comment') continue;
    const isDoc = s.type === 'expression_statement' && namedChildren(s)[0]?.type === 'string' && at === 0;
    if (isDoc || s.type === 'future_import_statement') {
      at = lineEndAfter(ctx.text, s.end);
      continue;
    }
    if (s.type === 'import_statement' || s.type === 'import_from_statement') return lineStartOf(ctx.text, s.start);
    break;
  }
  return at;
}

function ensureAsyncioImport(ctx: FileContext): TextEdit[] {
  if (hasAsyncioImport(ctx)) return [];
  const at = importInsertionPoint(ctx);
  return [{ start: at, end: at, newText: 'import asyncio\n' }];
}

function ensureTaskSet(ctx: FileContext): TextEdit[] {
  if (ctx.module.assignments.has(TASK_SET) || ctx.module.rebound.has(TASK_SET)) return [];
  // After the last top-level import (or at the import point when there are none).
  let at = importInsertionPoint(ctx);
  for (const s of namedChildren(ctx.root)) {
    if (s.type === 'import_statement' || s.type === 'import_from_statement' || s.type === 'future_import_statement') at = lineEndAfter(ctx.text, s.end);
  }
  const before = ctx.text.slice(0, at);
  const prefix = before.length && !before.endsWith('\n') ? '\n' : '';
  return [{ start: at, end: at, newText: `${prefix}\n# Strong references to running tasks (see asyncio.create_task docs).\n${TASK_SET} = set()\n\n` }];
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndAfter(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** Exported for tests of the server's fix-all action. */
export function isShared(e: TextEdit): boolean {
  return e.start === e.end && (e.newText.startsWith('import asyncio') || e.newText.includes(`${TASK_SET} = set()`));
}
