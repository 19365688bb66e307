import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoDir, runBuiltAgent } from '../../helpers/agent.js';

export const DUMPER = join(repoDir, 'test/lab/tools/dump-configfs.mjs');
export const LAB_CONFIG = join(repoDir, 'test/lab/fixtures/lab-4lun.json');
export const LAB_IQN = 'iqn.2016-09.com.example:iscsitgt01';

/** Parsed dump line (see tools/dump-configfs.mjs): kind, path, and what the comparison looks at. */
export interface TreeEntry { kind: 'D' | 'L' | 'F'; path: string; detail: string }

export function parseTree(text: string): Map<string, TreeEntry> {
  const m = new Map<string, TreeEntry>();
  for (const line of text.split('\n')) {
    if (line.startsWith('D ')) m.set(line.slice(2), { kind: 'D', path: line.slice(2), detail: '' });
    else if (line.startsWith('L ')) {
      const [p, t] = line.slice(2).split(' -> ');
      m.set(p!, { kind: 'L', path: p!, detail: t ?? '' });
    } else if (line.startsWith('F ')) {
      const rest = line.slice(2);
      const sp = rest.indexOf(' ');
      const eq = rest.indexOf(' = ');
      const path = rest.slice(sp + 1, eq);
      m.set(path, { kind: 'F', path, detail: `${rest.slice(0, sp)} ${rest.slice(eq + 3)}` });
    }
  }
  return m;
}

export interface TreeDiff { onlyReal: string[]; onlyEmulated: string[]; different: string[] }

/** Compares two trees entry by entry: presence, kind, file mode and value, link target. */
export function diffTrees(real: Map<string, TreeEntry>, emu: Map<string, TreeEntry>, ignore: (path: string) => boolean = () => false): TreeDiff {
  const d: TreeDiff = { onlyReal: [], onlyEmulated: [], different: [] };
  for (const [p, r] of real) {
    if (ignore(p)) continue;
    const e = emu.get(p);
    if (!e) d.onlyReal.push(`${r.kind} ${p} ${r.detail}`);
    else if (e.kind !== r.kind || e.detail !== r.detail) d.different.push(`${p}: real ${r.kind} '${r.detail}' / emulated ${e.kind} '${e.detail}'`);
  }
  for (const [p, e] of emu) if (!ignore(p) && !real.has(p)) d.onlyEmulated.push(`${e.kind} ${p} ${e.detail}`);
  return d;
}

export function dumpTree(dir: string): string {
  const r = spawnSync(process.execPath, [DUMPER, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`dump-configfs failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Runs the built `target` agent's start with the lab config on the configfs emulator (a fresh fixture root
 * with the four LVs present as files) and returns the emulated tree in the dump format.
 */
export async function emulatedAgentTree(config: string = LAB_CONFIG, kernel = '6.1'): Promise<string> {
  return (await emulatedAgentRun(config, kernel)).tree;
}

/**
 * The same start, also returning its configfs write trace (LIOHA_CONFIGFS_TRACE: one `<op> <path>`
 * line per mkdir/rmdir/symlink/unlink/write). A kernel default or side effect the emulator gets
 * wrong shows up here even when the final trees agree: the agent's `ensure` writes an attribute
 * only when its current value differs. `kernel`: the recorded kernel the emulator models.
 */
export async function emulatedAgentRun(config: string = LAB_CONFIG, kernel = '6.1'): Promise<{ tree: string; trace: string }> {
  // resolved at run time: the emulator lives with the target agent's lib
  const fixtureMod = pathToFileURL(join(repoDir, 'lib/configfs/emulator-fixture.ts')).href;
  const { createEmulatedConfigFs } = (await import(fixtureMod)) as { createEmulatedConfigFs(root: string, opts?: { kernel?: string }): string };
  const root = fs.mkdtempSync(join(fs.existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lioha-lab-emu-'));
  try {
    const base = createEmulatedConfigFs(root, { kernel });
    fs.mkdirSync(join(root, 'dev/labvg'), { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync(join(root, `dev/labvg/lun${i}`), '');
    fs.mkdirSync(join(root, 'etc/target'), { recursive: true });
    fs.copyFileSync(config, join(root, 'etc/target/saveconfig.json'));
    fs.chmodSync(join(root, 'etc/target/saveconfig.json'), 0o600);
    const trace = join(root, 'trace.txt');
    const r = runBuiltAgent('target', 'start', { root, params: { iqn: LAB_IQN, config: '/etc/target/saveconfig.json' }, env: { LIOHA_CONFIGFS_TRACE: trace } });
    if (r.code !== 0) throw new Error(`target start on the emulator exited ${r.code}: ${r.stderr}`);
    return { tree: dumpTree(base), trace: fs.readFileSync(trace, 'utf8') };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
