import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendChunks, escapeForComment, findChunk, readChunk, readChunkBytes, unescapeFromComment } from '../../lib/text/comment-chunk.js';

const TRICKY = [
  'const a = 1; /* a comment */ const b = /x*\\//.test("*/");',
  '\u0001*/\u0001\u0001 **/ */*/ *\u0001/ end',
  'non-ASCII: \u00e9 \u2028 \u{1F600} */',
  '',
];

describe('code in block comments (the lioha CLI\'s lazily compiled chunks)', () => {
  it('escapes so that no chunk can end the comment, and unescapes to the same text', () => {
    for (const code of TRICKY) {
      const e = escapeForComment(code);
      expect(e).not.toContain('*/');
      expect(unescapeFromComment(e)).toBe(code);
    }
  });

  it('appended chunks leave the bundle valid JavaScript that runs as before, and each chunk reads back by name', () => {
    const bundle = 'globalThis.__chunkTest = 42;\n';
    const text = appendChunks(bundle, TRICKY.map((c, i) => [`c${i}`, c] as const));
    new Function(text)();
    expect((globalThis as { __chunkTest?: number }).__chunkTest).toBe(42);
    const dir = mkdtempSync(join(tmpdir(), 'lioha-chunk-'));
    try {
      const file = join(dir, 'bundle.js');
      writeFileSync(file, text);
      TRICKY.forEach((code, i) => {
        expect(findChunk(text, `c${i}`)).toBe(code);
        expect(readChunk(file, `c${i}`)).toBe(code);
      });
      expect(readChunk(file, 'missing')).toBeUndefined();
      writeFileSync(file, bundle);
      expect(readChunk(file, 'c0')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the chunks after the text before them changed length (install rewrites the launcher\'s interpreter line)', () => {
    const launcher = (node: string) => `#!/bin/sh\n":" /*\nlioha_node='${node}'\n*/\nglobalThis.__chunkTest = 1;\n`;
    const chunks = [...TRICKY.map((c, i) => [`c${i}`, c] as const), ['c-v8cache', Buffer.from([0, 1, 255, 42]).toString('base64')] as const];
    const built = appendChunks(launcher('/usr/bin/node'), chunks);
    const dir = mkdtempSync(join(tmpdir(), 'lioha-chunk-'));
    try {
      for (const node of ['/usr/bin/node', '/usr/local/bin/node', '/n']) {
        const file = join(dir, 'bundle.js');
        writeFileSync(file, built.replace(/^lioha_node=.*$/m, `lioha_node='${node}'`));
        TRICKY.forEach((code, i) => expect(readChunk(file, `c${i}`)).toBe(code));
        expect([...Buffer.from(readChunkBytes(file, 'c-v8cache')!.toString('latin1'), 'base64')]).toEqual([0, 1, 255, 42]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names that could not be found again', () => {
    expect(() => appendChunks('', [['Bad name', '']])).toThrow(/bad chunk name/);
  });
});
