/**
 * The string and template literals of a TypeScript source, comments and regular-expression
 * literals skipped. A template's substitutions read as `${}`; strings inside them are literals too.
 */
export interface Literal {
  readonly text: string;
  readonly line: number;
}

const REGEX_BEFORE: ReadonlySet<string> = new Set(['', ...'(,=:[!&|?{};+-*%<>~^'.split('')]);
const REGEX_KEYWORDS = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|void|yield|await)$/;

export function literalsOf(src: string): Literal[] {
  const out: Literal[] = [];
  let i = 0;
  const lineAt = (pos: number) => src.slice(0, pos).split('\n').length;

  function quoted(q: string): string {
    const start = i;
    let s = '';
    i++;
    while (i < src.length && src[i] !== q) {
      if (src[i] === '\\') { s += src[i + 1]; i += 2; continue; }
      if (src[i] === '\n') break; // unterminated: give up on this one
      s += src[i++];
    }
    i++;
    out.push({ text: s, line: lineAt(start) });
    return s;
  }

  function template(): void {
    const start = i;
    let s = '';
    i++;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') { s += src[i + 1]; i += 2; continue; }
      if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        code('}');
        i++;
        s += '${}';
        continue;
      }
      s += src[i++];
    }
    i++;
    out.push({ text: s, line: lineAt(start) });
  }

  function prevSignificant(): string {
    let j = i - 1;
    while (j >= 0 && /\s/.test(src[j]!)) j--;
    return j < 0 ? '' : src[j]!;
  }

  /** Code up to an unbalanced `close` (or the end). */
  function code(close?: string): void {
    let depth = 0;
    while (i < src.length) {
      const c = src[i]!;
      if (close && c === close && depth === 0) return;
      if (c === '{') depth++;
      else if (c === '}') depth--;
      if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
      if (c === '/' && src[i + 1] === '*') { const e = src.indexOf('*/', i + 2); i = e < 0 ? src.length : e + 2; continue; }
      if (c === "'" || c === '"') { quoted(c); continue; }
      if (c === '`') { template(); continue; }
      if (c === '/') {
        const p = prevSignificant();
        const before = src.slice(Math.max(0, i - 12), i).trimEnd();
        if (REGEX_BEFORE.has(p) || REGEX_KEYWORDS.test(before)) {
          i++;
          let cls = false;
          while (i < src.length && src[i] !== '\n') {
            if (src[i] === '\\') { i += 2; continue; }
            if (src[i] === '[') cls = true;
            else if (src[i] === ']') cls = false;
            else if (src[i] === '/' && !cls) break;
            i++;
          }
          i++;
          continue;
        }
      }
      i++;
    }
  }

  code();
  return out;
}
