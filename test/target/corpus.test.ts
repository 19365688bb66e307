/**
 * Every saveconfig.json in the shared corpus (real files from the field and synthetic ones
 * built from rtslib-fb's dump() code) goes through the whole life of a target resource on
 * the emulator: validate-all, start, depth-10 monitor, an idempotent second start, `lioha
 * target save` equal to the input modulo the normalisations documented in
 * docs/target-saveconfig.md, stop, and a monitor answering 7. A new file in the folder is
 * picked up without code: the repository's copy (test/fixtures/saveconfig-corpus) and the shared
 * folder beside the repository (or any of its parents, or LIOHA_CORPUS) when it exists.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { saveLive } from '../../lib/configfs/save.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { createEmulatedConfigFs } from '../../lib/configfs/emulator-fixture.js';
import { REASON_MAX } from '../../lib/configfs/saveconfig.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import type { LogLine } from '../helpers/context.js';
import { ctxFor, fastTmp } from './setup.js';
import { corpusDirs, corpusFiles, jsonFiles, ownable } from './corpus-files.js';
import { roundTripDifferences } from './round-trip.js';

const CORPUS_DIRS = corpusDirs();
const FILES = corpusFiles(CORPUS_DIRS).map((f) => f.path);
const CONFIG = '/etc/target/saveconfig.json';
const actions = createTargetActions();

async function call(f: (ctx: never) => Promise<number>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try {
    return { code: await f(ctx as never) };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

describe('the saveconfig corpus', () => {
  it('is there, with files in it', () => {
    // 6 public files and their synthetic companions are carried in the repository.
    expect(FILES.length).toBeGreaterThanOrEqual(jsonFiles(CORPUS_DIRS[0]!).length);
    expect(jsonFiles(CORPUS_DIRS[0]!).length).toBeGreaterThan(6);
  });

  for (const kernel of ['6.1', '6.12']) for (const file of FILES) {
    const name = relative(CORPUS_DIRS.find((d) => file.startsWith(`${d}/`))!, file);
    it(`${name} on ${kernel}: validate, start, monitor 10, start again, save round trip, stop, monitor 7`, { timeout: 120_000 }, async () => {
      const text = readFileSync(file, 'utf8');
      const { owned, refused, deriveWwn } = ownable(text);
      // Refusals are by design only (ALUA groups other than the default, tcmu backstores), never of a whole file.
      for (const [, reason] of refused) expect(reason).toMatch(/ALUA group|not managed/);
      expect(owned.length, `${name}: no target lioha can own`).toBeGreaterThan(0);

      const root = mkdtempSync(join(fastTmp(), 'lioha-corpus-'));
      try {
        const base = createEmulatedConfigFs(root, { kernel });
        mkdirSync(join(root, 'etc/target'), { recursive: true });
        writeFileSync(join(root, CONFIG), text);
        chmodSync(join(root, CONFIG), 0o600);
        // The devices the owned objects use exist on this (emulated) node.
        for (const so of (JSON.parse(text).storage_objects ?? []) as { plugin: string; dev?: string }[]) {
          if (so.dev && (so.plugin === 'block' || so.plugin === 'pscsi' || so.plugin === 'fileio')) {
            mkdirSync(dirname(join(root, so.dev)), { recursive: true });
            if (!existsSync(join(root, so.dev))) writeFileSync(join(root, so.dev), '');
          }
        }
        const params = { iqn: owned.join(' '), config: CONFIG, ...(deriveWwn ? { derive_wwn: 'true' } : {}) };
        const ctx = (action: string, lines?: LogLine[], checkLevel = 0) => ctxFor(root, action, params, { checkLevel, ...(lines ? { lines } : {}), timeoutMs: 60_000 });

        expect(await call(actions.validate, ctx('validate-all'))).toEqual({ code: 0 });
        const started: LogLine[] = [];
        expect(await call(actions.start, ctx('start', started))).toEqual({ code: 0 });
        expect(await call(actions.monitor, ctx('monitor', undefined, 10))).toEqual({ code: 0 });
        expect(await call(actions.monitor, ctx('monitor'))).toEqual({ code: 0 });
        const again: LogLine[] = [];
        expect(await call(actions.start, ctx('start', again))).toEqual({ code: 0 });
        expect((again.find((l) => l.msg === 'target started')!.fields as Record<string, number>).mutating).toBe(0);

        // Attributes this kernel lacks were reported once, by name, and skipped.
        const skipped = started.filter((l) => l.msg.startsWith('configured attributes this kernel does not have'));
        expect(skipped.length).toBeLessThanOrEqual(1);
        const missing = new Set(((skipped[0]?.fields as { paths?: string[] } | undefined)?.paths ?? []).map((p) => p.split('/').pop()!));

        // Device limits the emulated device refuses (a file saved on another device): named once, kept by the kernel.
        const refusedLine = started.filter((l) => l.msg.startsWith('the kernel kept its own value for device-bound attributes'));
        expect(refusedLine.length).toBeLessThanOrEqual(1);
        const kept = new Set(((refusedLine[0]?.fields as { refused?: { path: string }[] } | undefined)?.refused ?? []).map((r) => r.path.split('/').filter((_, i, a) => i === 2 || i === a.length - 1).join('/')));

        const saved = await saveLive(new EmulatedConfigFs(base, []), owned);
        expect(roundTripDifferences(JSON.parse(text), JSON.parse(saved), owned, missing, kept)).toEqual([]);

        expect(await call(actions.stop, ctx('stop'))).toEqual({ code: 0 });
        expect(await call(actions.monitor, ctx('monitor'))).toEqual({ code: 7 });
        expect(readdirSync(join(base, 'iscsi')).filter((n) => n.startsWith('iqn.') || n.startsWith('eui.') || n.startsWith('naa.'))).toEqual([]);

        // A target lioha refuses is refused cleanly: rc 6 and a reason within Pacemaker's 128 characters.
        for (const [iqn] of refused) {
          const r = await call(actions.validate, ctxFor(root, 'validate-all', { ...params, iqn }));
          expect(r.code).toBe(6);
          expect(r.reason!.length).toBeLessThanOrEqual(REASON_MAX);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
