/**
 * Every agent has the same folder shape (issue 13): agents/<name>/ holds its entry point,
 * its definition, its actions and its parameters-to-config module, whatever else it adds.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGISTRY } from '../../agents/registry.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHAPE = ['main.ts', 'definition.ts', 'actions.ts', 'config.ts'];

describe('agent folder shape', () => {
  it('lists at least the five agents of the brief', () => {
    expect(REGISTRY.map((a) => a.name)).toEqual(expect.arrayContaining(['target', 'portal', 'vg', 'ddmap', 'dummy']));
  });

  it.each(REGISTRY.map((a) => [a.name, a.entry] as const))('agents/%s has main, definition, actions and config', (name, entry) => {
    const dir = join(repo, 'agents', name);
    expect(entry).toBe(`agents/${name}/main.ts`);
    expect(SHAPE.filter((f) => !existsSync(join(dir, f)))).toEqual([]);
  });

  it('every agents/<name>/ directory is in the registry', () => {
    const dirs = readdirSync(join(repo, 'agents')).filter((n) => statSync(join(repo, 'agents', n)).isDirectory());
    expect(dirs.sort()).toEqual(REGISTRY.map((a) => a.name).sort());
  });
});
