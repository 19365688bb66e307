import type { CommandModule } from 'yargs';

interface DoctorArgs { root?: string; vg?: string[]; 'vg-access-mode': 'system_id' | 'tagging'; noreboot?: boolean; compare?: string; peer?: string; saveconfig: string; json?: boolean; timeout: number }

/** `lioha doctor`: preflight of one node; exit 1 when something would break a failover. */
export const command: CommandModule = {
  command: 'doctor',
  describe: 'Preflight of this node: modules, Node.js, LVM activation/filter/system ID, DRBD fencing, noreboot, saveconfig.json, cli-ban',
  builder: (y) =>
    y
      .option('vg', { type: 'string', array: true, default: [], describe: 'the DRBD-backed VG(s) the vg agent manages' })
      .option('vg-access-mode', { choices: ['system_id', 'tagging'] as const, default: 'system_id' as const, describe: 'the vg agent\'s vg_access_mode' })
      .option('noreboot', { type: 'boolean', describe: 'whether /etc/ha.d/noreboot belongs on this node (--no-noreboot: must not)' })
      .option('compare', { type: 'string', describe: 'a copy of the peer\'s saveconfig.json to compare with' })
      .option('peer', { type: 'string', describe: 'compare saveconfig.json checksums with this host over ssh (BatchMode)' })
      .option('saveconfig', { type: 'string', default: '/etc/target/saveconfig.json' })
      .option('root', { type: 'string', describe: 'filesystem root (default $LIOHA_ROOT or /)' })
      .option('json', { type: 'boolean', describe: 'findings as JSON' })
      .option('timeout', { type: 'number', default: 10, describe: 'seconds for node --version and ssh' }),
  handler: async (argv) => {
    const a = argv as unknown as DoctorArgs;
    const { runChecks, renderFindings, findAgentNode } = await import('../../lib/doctor/checks.js');
    const { run } = await import('../../lib/exec/run.js');
    const root = a.root ?? process.env.LIOHA_ROOT ?? '/';
    const nodePath = findAgentNode(root);
    let nodeVersion: { path?: string; version?: string; error?: string } = {};
    if (nodePath) {
      const abs = root === '/' ? nodePath : `${root}${nodePath}`;
      try {
        nodeVersion = { path: nodePath, version: (await run(abs, ['--version'], { timeoutMs: a.timeout * 1000, env: {} })).stdout.trim() };
      } catch (e) {
        nodeVersion = { path: nodePath, error: (e as Error).message };
      }
    }
    let peerChecksum: { host: string; sha256?: string; error?: string } | undefined;
    if (a.peer) {
      if (!/^[A-Za-z0-9_.@:[\]-]+$/.test(a.peer) || a.peer.startsWith('-')) throw new Error(`--peer ${JSON.stringify(a.peer)} is not a host name`);
      try {
        // ssh hands the remote words to the peer's shell: the path goes quoted, and -- ends sha256sum's options.
        const quoted = `'${a.saveconfig.replace(/'/g, `'\\''`)}'`;
        const r = await run('ssh', ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.floor(a.timeout / 2))}`, '--', a.peer, `sha256sum -- ${quoted}`], { timeoutMs: a.timeout * 1000 });
        const sum = r.stdout.split(/\s+/)[0] ?? '';
        peerChecksum = /^[0-9a-f]{64}$/.test(sum) ? { host: a.peer, sha256: sum } : { host: a.peer, error: `no sha256 in the answer: ${JSON.stringify(r.stdout.slice(0, 80))}` };
      } catch (e) {
        peerChecksum = { host: a.peer, error: (e as Error).message };
      }
    }
    const findings = runChecks({
      root, vgs: a.vg ?? [], vgAccessMode: a['vg-access-mode'], saveconfig: a.saveconfig, nodeVersion,
      ...(a.noreboot !== undefined ? { noreboot: a.noreboot } : {}),
      ...(a.compare ? { compare: a.compare } : {}),
      ...(peerChecksum ? { peerChecksum } : {}),
    });
    process.stdout.write(a.json ? `${JSON.stringify(findings, null, 2)}\n` : renderFindings(findings));
    const fails = findings.filter((f) => f.level === 'fail').length;
    if (!a.json) process.stdout.write(fails ? `${fails} problem(s) would break a failover\n` : 'nothing found that would break a failover\n');
    process.exitCode = fails ? 1 : 0;
  },
};
