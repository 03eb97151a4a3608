// Writes a JSON document to a file piece by piece, byte for byte what JSON.stringify(value, null,
// indent) would give, so a report listing 100,000 tasks (or a trace of 2,000,000 events) never
// exists as one string: the observer's peak stays near its running size (docs/protocol.md budget).

import { closeSync, openSync, writeSync } from 'node:fs';

/** Pieces are gathered up to this many characters before each write. */
const CHUNK_CHARS = 1 << 16;

class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  push(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/** JSON.stringify(value, null, indent) re-indented to sit `depth` levels in (newlines in JSON text occur only between tokens). */
function nested(value: unknown, indent: number, depth: number): string {
  const text = JSON.stringify(value, null, indent) ?? 'null';
  return depth === 0 || indent === 0 ? text : text.replace(/\n/g, `\n${' '.repeat(indent * depth)}`);
}

/**
 * Writes `doc` (a plain object) to `file`: each top-level array is written element by element,
 * everything else whole. `indent` 0 writes compact JSON.
 */
export function writeJsonFile(file: string, doc: Record<string, unknown>, indent: number): void {
  const fd = openSync(file, 'w');
  try {
    const w = new ChunkedWriter(fd);
    const nl = indent > 0 ? '\n' : '';
    const pad = (depth: number): string => (indent > 0 ? ' '.repeat(indent * depth) : '');
    const sep = indent > 0 ? ': ' : ':';
    const keys = Object.keys(doc).filter((k) => doc[k] !== undefined && typeof doc[k] !== 'function');
    w.push('{');
    keys.forEach((key, i) => {
      w.push(`${nl}${pad(1)}${JSON.stringify(key)}${sep}`);
      const value = doc[key];
      if (Array.isArray(value) && value.length > 0) {
        w.push('[');
        value.forEach((item: unknown, j) => {
          w.push(`${nl}${pad(2)}${nested(item, indent, 2)}${j < value.length - 1 ? ',' : ''}`);
        });
        w.push(`${nl}${pad(1)}]`);
      } else {
        w.push(nested(value, indent, 1));
      }
      if (i < keys.length - 1) w.push(',');
    });
    w.push(`${keys.length > 0 ? nl : ''}}`);
    w.flush();
  } finally {
    closeSync(fd);
  }
}
