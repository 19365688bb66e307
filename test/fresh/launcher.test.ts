/**
 * The agents' sh launcher (scripts/launcher.ts) on the built agents: Node.js is found without PATH's help, and
 * with no Node.js at all every action answers as OCF and Pacemaker need. Each case runs in a private mount
 * namespace where the machine's node is hidden (bind-mounted /dev/null) and /run is a fresh tmpfs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentDir, distDir } from '../helpers/agent.js';
import { launcherHeader } from '../../scripts/launcher.js';

const isRoot = process.getuid?.() === 0;
const built = existsSync(join(agentDir, 'dummy'));
const why = !isRoot ? 'needs root (mount namespaces)' : !built ? 'agents not built (npm run build)' : undefined;
const PACEMAKER_ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'OCF_ROOT=/usr/lib/ocf', 'OCF_RESOURCE_INSTANCE=p_x'];
const work = mkdtempSync(join(tmpdir(), 'lioha-launcher-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface R { code: number; out: string; err: string; reasons: string[] }

/** Runs `agent action` under Pacemaker's environment, after `setup` (sh) in a private mount namespace. */
function inNamespace(setup: string, agent: string, action: string, env: string[] = []): R {
  const script = `set -e; mount -t tmpfs run /run; ${setup}; exec env -i ${[...PACEMAKER_ENV, ...env].join(' ')} "$0" "$1"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, agent, action], { encoding: 'utf8', timeout: 30_000 });
  const err = r.stderr ?? '';
  return { code: r.status ?? -1, out: r.stdout ?? '', err, reasons: err.split('\n').filter((l) => l.startsWith('ocf-exit-reason:')).map((l) => l.slice(16)) };
}

/** Hide every Node.js the launcher would try. */
const hideNode = ['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/nodejs'].map((p) => `if [ -e ${p} ]; then mount --bind /dev/null ${p}; fi`).join('; ');
const marker = (agent: string) => `mkdir -p /run/lioha/started && : > /run/lioha/started/${agent}`;

describe.skipIf(why !== undefined)(`agent launcher${why ? ` (skipped: ${why})` : ''}`, () => {
  it('finds Node.js at the path fixed at build/install time when PATH and the usual places have none', () => {
    const node = join(work, 'opt-node');
    writeFileSync(node, '');
    const agent = join(work, 'dummy');
    writeFileSync(agent, readFileSync(join(agentDir, 'dummy'), 'utf8').replace(/^lioha_node=.*$/m, `lioha_node='${node}'`), { mode: 0o755 });
    // The launcher runs the bundle in .lioha/ beside it (scripts/build.ts).
    if (!existsSync(join(work, '.lioha'))) symlinkSync(join(agentDir, '.lioha'), join(work, '.lioha'));
    // The fixed path gets the real node (bind mount) before the usual places are hidden.
    const setup = `mount --bind ${process.execPath} ${node}; ${hideNode}`;
    expect(inNamespace(setup, agent, 'lioha-interpreter').out.trim()).toBe(node);
    const md = inNamespace(setup, agent, 'meta-data');
    expect(md.code).toBe(0);
    expect(md.out).toContain('<resource-agent name="dummy"');
    const mon = inNamespace(setup, agent, 'monitor', [`OCF_RESKEY_state=${join(work, 'absent.state')}`]);
    expect(mon.reasons).toEqual([]);
    expect(mon.code, 'Node.js ran the agent: a stopped dummy').toBe(7);
  });

  it('answers meta-data in sh without starting Node.js (Pacemaker and pcs give meta-data 5 s)', () => {
    const ran = join(work, 'node-ran');
    const fakeNode = join(work, 'fake-node');
    writeFileSync(fakeNode, `#!/bin/sh\n: > ${ran}\nexit 1\n`, { mode: 0o755 });
    const r = inNamespace('true', join(agentDir, 'vg'), 'meta-data', [`LIOHA_NODE=${fakeNode}`]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(distDir, 'metadata', 'vg.xml'), 'utf8'));
    expect(existsSync(ran), 'the launcher started the interpreter for meta-data').toBe(false);
    // the same interpreter does run for any other action
    inNamespace('true', join(agentDir, 'vg'), 'monitor', [`LIOHA_NODE=${fakeNode}`]);
    expect(existsSync(ran)).toBe(true);
  });

  for (const name of ['dummy', 'portal', 'target', 'vg', 'ddmap']) {
    it(`${name} without Node.js: meta-data from the launcher, byte-identical to the generated XML`, () => {
      const r = inNamespace(hideNode, join(agentDir, name), 'meta-data');
      expect(r.code).toBe(0);
      expect(r.out).toBe(readFileSync(join(distDir, 'metadata', `${name}.xml`), 'utf8'));
    });
  }

  it('without Node.js: start, validate-all and a probe return 5 with a reason; stop of a never-started agent returns 0', () => {
    const a = join(agentDir, 'portal');
    for (const action of ['start', 'validate-all', 'monitor', 'promote', 'reload']) {
      const r = inNamespace(hideNode, a, action);
      expect(r.code, action).toBe(5);
      expect(r.reasons[0], action).toMatch(/^no Node\.js found \(looked in .*\/usr\/bin\/node/);
      expect(r.reasons[0]!.length).toBeLessThanOrEqual(128);
    }
    const stop = inNamespace(hideNode, a, 'stop');
    expect(stop.code).toBe(0);
    expect(stop.reasons).toEqual([]);
    expect(stop.err).toContain('never started on this node since boot');
    expect(inNamespace(hideNode, a, 'usage').code).toBe(0);
  });

  it('without Node.js after a start since boot: monitor says it cannot check (1), stop cannot verify (5)', () => {
    const a = join(agentDir, 'portal');
    const mon = inNamespace(`${hideNode}; ${marker('portal')}`, a, 'monitor');
    expect(mon.code).toBe(1);
    expect(mon.reasons[0]).toMatch(/^cannot check: no Node\.js/);
    expect(mon.reasons[0]!.length).toBeLessThanOrEqual(128);
    const stop = inNamespace(`${hideNode}; ${marker('portal')}`, a, 'stop');
    expect(stop.code).toBe(5);
    expect(stop.reasons[0]).toMatch(/^no Node\.js found/);
    // Another agent's start does not count.
    expect(inNamespace(`${hideNode}; ${marker('vg')}`, a, 'stop').code).toBe(0);
  });

  it('a start through the launcher marks the agent as started since boot', () => {
    const r = inNamespace('true', join(agentDir, 'dummy'), 'start', [`OCF_RESKEY_state=${join(work, 's.state')}`, 'OCF_RESKEY_CRM_meta_timeout=20000']);
    expect(r.reasons).toEqual([]);
    expect(r.code).toBe(0);
    const check = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs run /run; env -i "$0" start >/dev/null 2>&1; test -e /run/lioha/started/dummy`, join(agentDir, 'dummy')], { env: { ...process.env, OCF_RESKEY_state: join(work, 's.state') } });
    expect(check.status).toBe(0);
  });
});

describe('launcher header', () => {
  it.skipIf(why !== undefined)('marks a start without forking mkdir once the marker directory exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-marker-'));
    try {
      const fake = join(dir, 'node');
      writeFileSync(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const agent = join(dir, 'x');
      writeFileSync(agent, `${launcherHeader({ name: 'x', node: fake, metadataXml: '<x/>' })}0;\n`, { mode: 0o755 });
      // mkdir made unusable: the marker can only appear if the launcher does not run it.
      const script = 'mount -t tmpfs run /run && mkdir -p /run/lioha/started && mount --bind /dev/null "$(command -v mkdir)" && env -i "$0" start && test -e /run/lioha/started/x';
      expect(spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, agent]).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses meta-data that would end its comment', () => {
    expect(() => launcherHeader({ name: 'x', node: '/n', metadataXml: '<a>*/</a>' })).toThrow(/\*\//);
  });
  it('is valid sh and keeps the JavaScript after it intact', () => {
    const h = launcherHeader({ name: 'x', node: "/o'dd/node", metadataXml: '<x/>', actions: ['start', 'stop'] });
    expect(spawnSync('sh', ['-n', '-c', h]).status).toBe(0);
    expect(h).toContain(`lioha_node='/o'\\''dd/node'`);
    // As JavaScript: a string statement and one comment.
    expect(() => new Function(`${h.replace(/^#!.*\n/, '')}return 42;`)).not.toThrow();
  });
});

describe('launcher short-run V8 flags (the lioha CLI)', () => {
  const shortRun = { flags: '--max-opt=1', commands: ['stats', 'status'], names: ['lio_read', 'lio_write'], longRunning: ['--serve', '--watch'] };
  // A fake interpreter that prints the arguments it was started with; the launcher pins it.
  const dir = mkdtempSync(join(tmpdir(), 'lioha-shortrun-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fake = join(dir, 'node');
  writeFileSync(fake, '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  const cli = join(dir, 'lioha');
  writeFileSync(cli, `${launcherHeader({ name: 'lioha', node: fake, shortRun })}0;\n`, { mode: 0o755 });
  symlinkSync(cli, join(dir, 'lio_read'));
  const argvOf = (file: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } }).stdout.trim().split('\n');

  it('gives the flags to one-shot stats, status and the munin symlinks', () => {
    expect(argvOf(cli, ['stats', '--root', '/x'])).toEqual(['--max-opt=1', cli, 'stats', '--root', '/x']);
    expect(argvOf(cli, ['status', '--json'])).toEqual(['--max-opt=1', cli, 'status', '--json']);
    expect(argvOf(join(dir, 'lio_read'), ['config'])).toEqual(['--max-opt=1', join(dir, 'lio_read'), 'config']);
  });
  it('not to long-running modes, other commands, or an interpreter other than the pinned one', () => {
    expect(argvOf(cli, ['stats', '--serve', '127.0.0.1:9782'])).toEqual([cli, 'stats', '--serve', '127.0.0.1:9782']);
    expect(argvOf(cli, ['stats', '--serve=127.0.0.1:9782'])).toEqual([cli, 'stats', '--serve=127.0.0.1:9782']);
    expect(argvOf(cli, ['status', '--watch'])).toEqual([cli, 'status', '--watch']);
    expect(argvOf(cli, ['backup', 'stats'])).toEqual([cli, 'backup', 'stats']);
    const other = join(dir, 'other-node');
    writeFileSync(other, '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    expect(argvOf(cli, ['stats'], { LIOHA_NODE: other })).toEqual([cli, 'stats']);
  });
  it('refuses words that are not plain, and any star-slash in the sh text', () => {
    expect(() => launcherHeader({ name: 'lioha', node: '/n', shortRun: { ...shortRun, flags: '--x;rm' } })).toThrow(/plain word/);
    expect(() => launcherHeader({ name: 'lioha', node: '/n*/' })).toThrow(/\*\//);
  });
});
