/**
 * The one list of host tools (scripts/host-tools.list): every command the agents run is on it, with the Debian
 * package it comes from, so setup.sh and the packages install it. The agents' commands are found by scanning
 * their sources for spawned literals (run/exec/spawn('cmd', ...)), tool tables (['cmd', 'why']) and
 * `${dir}/cmd` paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const repo = new URL('../..', import.meta.url).pathname;

interface Tool { command: string; deb: string; rpm: string; uses: string[]; relation: string; why: string }

function readList(): Tool[] {
  return readFileSync(join(repo, 'scripts/host-tools.list'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
    .map((l) => {
      const [command, deb, rpm, uses, relation, ...why] = l.trim().split(/\s+/);
      return { command: command!, deb: deb!, rpm: rpm!, uses: (uses ?? '').split(','), relation: relation!, why: why.join(' ') };
    });
}

function sources(dir: string): string[] {
  const abs = join(repo, dir);
  let names: string[];
  try { names = readdirSync(abs); } catch { return []; }
  return names.flatMap((n) => {
    const p = join(abs, n);
    if (statSync(p).isDirectory()) return sources(join(dir, n));
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Commands a source file runs, with where: literal spawns, tool tables, `${dir}/cmd` paths. */
export function spawnedCommands(text: string, literalSpawnsOnly = false): string[] {
  const found = new Set<string>();
  const add = (c: string | undefined) => { if (c && /^[a-z][a-z0-9_.+-]*$/.test(c) && !/\.(xml|json|txt|ts|sh)$/.test(c)) found.add(c); };
  for (const m of text.matchAll(/\b(?:run|exec|spawn|spawnSync|execFile|execFileSync|execa|sh|inA|inB)\(\s*['"`]([^'"`$\s]+)['"`]/g)) add(m[1]);
  if (literalSpawnsOnly) return [...found];
  // Tool tables checked before acting: missingTools([['ip', 'iproute2'], ...]).
  for (const call of text.matchAll(/missingTools\(([\s\S]*?)ctx\.env/g))
    for (const m of call[1]!.matchAll(/\[\s*[`'"]([^`'"]+)[`'"]\s*,\s*['"][^'"]*['"]\s*\]/g)) add(m[1]);
  // Commands a generated shell script runs: SCRIPT_COMMANDS = ['rmdir', 'rm', ...] (lib/configfs/child-apply.ts).
  for (const call of text.matchAll(/SCRIPT_COMMANDS = \[([^\]]*)\]/g)) for (const m of call[1]!.matchAll(/'([^']+)'/g)) add(m[1]);
  // Commands run from a bin directory: `${bin}/send_arp`, `${haBin(env)}/${v4 ? 'send_arp' : 'send_ua'}`.
  for (const m of text.matchAll(/\$\{[^}]*[bB]in\b[^}]*\}\/([a-z][a-z0-9_]*)`/g)) add(m[1]);
  for (const m of text.matchAll(/\$\{[^}]*[bB]in\b[^}]*\}\/\$\{([^}]*)\}`/g)) for (const q of m[1]!.matchAll(/'([a-z][a-z0-9_]*)'/g)) add(q[1]);
  return [...found];
}

const list = readList();
const byCommand = new Map(list.map((t) => [t.command, t]));
// Agent code: the agents themselves and the OCF-free library they run (after the regroup, also daemons/).
const agentFiles = ['agents', 'lib', 'daemons'].flatMap(sources).filter((f) => !f.includes('/lib/cli/') && !f.includes('/lib/cluster/') && !f.includes('/lib/status/'));
// (lib/cluster and lib/status serve the lioha CLI, not the agents.)

describe('host tools list', () => {
  it('is well formed: known uses and relations, a package for every tool', () => {
    const uses = /^(agent:(\*|[a-z]+)|cli|test|demo|bench|package|fresh|lab)$/;
    for (const t of list) {
      expect(t.uses.every((u) => uses.test(u)), `${t.command}: uses ${t.uses.join(',')}`).toBe(true);
      expect(['depends', 'recommends', 'suggests', 'essential', 'prereq', '-'], `${t.command}: relation`).toContain(t.relation);
      expect(t.deb, `${t.command}: Debian package`).toMatch(/^(-|[a-z0-9.+-]+(\|[a-z0-9.+-]+)*)$/);
      expect(t.why.length, `${t.command}: why`).toBeGreaterThan(5);
      const agentTool = t.uses.some((u) => u.startsWith('agent:'));
      expect(agentTool ? t.relation !== '-' : true, `${t.command}: an agent tool needs a package relation`).toBe(true);
    }
    expect(new Set(list.map((t) => t.command)).size, 'no duplicate commands').toBe(list.length);
  });

  it('the scan finds the commands the agents are known to run (so it cannot silently find nothing)', () => {
    const found = new Set(agentFiles.flatMap((f) => spawnedCommands(readFileSync(f, 'utf8'))));
    for (const c of ['ip', 'nft', 'arping', 'ndisc6', 'send_arp', 'send_ua', 'timeout', 'lvm', 'drbdsetup', 'drbdadm', 'modprobe', 'dd', 'mount', 'umount'])
      expect(found, c).toContain(c);
  });

  it('lists every command an agent runs, as an agent tool', () => {
    const problems: string[] = [];
    for (const f of agentFiles) {
      for (const c of spawnedCommands(readFileSync(f, 'utf8'))) {
        const t = byCommand.get(c);
        if (!t) problems.push(`${relative(repo, f)} runs ${c}, which is not in scripts/host-tools.list`);
        else if (!t.uses.some((u) => u.startsWith('agent:'))) problems.push(`${relative(repo, f)} runs ${c}, listed without an agent: use`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists as agent tools only commands an agent runs (no stale rows)', () => {
    const found = new Set(agentFiles.flatMap((f) => spawnedCommands(readFileSync(f, 'utf8'))));
    const stale = list.filter((t) => t.uses.some((u) => u.startsWith('agent:')) && t.command !== 'node' && !found.has(t.command)).map((t) => t.command);
    expect(stale).toEqual([]);
  });

  it('lists every command the tests, the demo and the scripts run by name', () => {
    const problems: string[] = [];
    const harness = ['test', 'scripts', 'bench'].flatMap(sources).filter((f) => !f.endsWith('host-tools.test.ts'));
    // The cluster lab runs its guest-side shell functions (test/lab/cluster/guest/*.sh) inside the VMs: not host tools.
    const guestDir = join(repo, 'test/lab/cluster/guest');
    const guestFunctions = readdirSync(guestDir).filter((n) => n.endsWith('.sh'))
      .flatMap((n) => [...readFileSync(join(guestDir, n), 'utf8').matchAll(/^([a-z_]+)\(\)/gm)].map((m) => m[1]!));
    // Test helpers and the agents' own subcommands that look like spawns but are not host tools.
    const notTools = new Set(['start', 'stop', 'monitor', 'sh', 'cat', 'mkfifo', 'env', 'node']);
    for (const f of harness) {
      for (const c of spawnedCommands(readFileSync(f, 'utf8'), true)) {
        if (notTools.has(c) || byCommand.has(c) || guestFunctions.includes(c)) continue;
        problems.push(`${relative(repo, f)} runs ${c}, which is not in scripts/host-tools.list`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the agents\' default-parameter needs are hard package dependencies (portal: arping, send_arp/send_ua)', () => {
    const field = (rel: string) => spawnSync(join(repo, 'scripts/host-tools.sh'), ['deb-field', rel], { encoding: 'utf8' }).stdout.trim();
    expect(field('depends')).toContain('arping | iputils-arping');
    expect(field('depends')).toContain('resource-agents');
    expect(field('recommends')).toContain('ndisc6');
    expect(spawnSync(join(repo, 'scripts/host-tools.sh'), ['rpm-field', 'depends'], { encoding: 'utf8' }).stdout).toContain('/usr/sbin/arping');
  });

  it('docs/installing.md gives the reason for every package relation the list declares', () => {
    const doc = readFileSync(join(repo, 'docs/installing.md'), 'utf8');
    for (const t of list.filter((x) => ['depends', 'recommends', 'suggests'].includes(x.relation))) {
      const pkg = t.deb.split('|')[0]!;
      const row = doc.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${pkg}`));
      expect(row, `docs/installing.md has no row for ${pkg}`).toBeDefined();
      expect(row!.toLowerCase(), `${pkg} row says ${t.relation}`).toContain(`| ${t.relation} |`);
    }
  });

  it('setup.sh installs the tools the tests and the demo run', () => {
    const r = spawnSync(join(repo, 'scripts/host-tools.sh'), ['packages', 'test', 'demo', 'bench'], { encoding: 'utf8' });
    const pkgs = r.stdout.split('\n');
    for (const p of ['arping', 'ndisc6', 'resource-agents', 'nftables', 'pacemaker', 'pcs', 'crmsh']) expect(pkgs.some((x) => x === p || (p === 'arping' && x === 'iputils-arping')), p).toBe(true);
    expect(readFileSync(join(repo, 'scripts/setup.sh'), 'utf8')).toMatch(/host-tools\.sh install test demo bench/);
  });
});
