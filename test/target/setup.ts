import { existsSync, mkdtempSync, mkdirSync, copyFileSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulatedConfigFs } from '../../lib/configfs/emulator-fixture.js';
import { makeContext, memoryLogger, type LogLine } from '../helpers/context.js';
import { definition } from '../../agents/target/definition.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/target/', import.meta.url));
export const IQN = 'iqn.2016-09.com.example:iscsitgt01';
export const OTHER = 'iqn.2016-09.com.example:other';
export const CONFIG = '/etc/target/saveconfig.json';

/** The emulator creates ~1,500 files for the 4x4 target: use tmpfs when there is one. */
export function fastTmp(): string {
  return existsSync('/dev/shm') && process.env.LIOHA_TEST_TMP !== 'disk' ? '/dev/shm' : tmpdir();
}

/** A fixture root: empty emulated configfs, the four LVs, the realistic saveconfig.json (0600). */
export function makeRoot(parent = fastTmp()): { root: string; base: string; cleanup: () => void } {
  const root = mkdtempSync(join(parent, 'lioha-target-'));
  const base = createEmulatedConfigFs(root);
  mkdirSync(join(root, 'dev/vg1'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(root, `dev/vg1/lv-lun${i}`), '');
  mkdirSync(join(root, 'etc/target'), { recursive: true });
  copyFileSync(join(FIXTURES, 'saveconfig.json'), join(root, CONFIG));
  chmodSync(join(root, CONFIG), 0o600);
  copyFileSync(join(FIXTURES, 'other.json'), join(root, 'etc/target/other.json'));
  return { root, base, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function ctxFor(root: string, action: string, params: Record<string, string> = {}, extra: { checkLevel?: number; lines?: LogLine[]; timeoutMs?: number } = {}) {
  return makeContext(definition, {
    root, action,
    params: { iqn: IQN, config: CONFIG, ...params },
    ...(extra.checkLevel !== undefined ? { checkLevel: extra.checkLevel } : {}),
    ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}),
    log: memoryLogger(extra.lines ?? []),
  });
}
