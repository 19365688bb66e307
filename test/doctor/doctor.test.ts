import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runChecks, type DoctorOptions, type Finding } from '../../lib/doctor/checks.js';
import { filterAccepts, parseLvmConf } from '../../lib/doctor/lvm-conf.js';
import { parseDrbdConf } from '../../lib/doctor/drbd-conf.js';

const roots: string[] = [];
afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

function put(root: string, abs: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, abs)), { recursive: true });
  writeFileSync(join(root, abs), text);
  chmodSync(join(root, abs), mode);
}

const GOOD_LVM = `
devices {
    # only DRBD and the root PV
    global_filter = [ "a|^/dev/drbd[0-9]+$|", "a|^/dev/sda2$|", "r|.*|" ]
}
global {
    system_id_source = "uname"
}
activation {
    auto_activation_volume_list = [ "vg0" ]
}
`;
const GOOD_DRBD = `
common {
  handlers {
    fence-peer "/usr/lib/drbd/crm-fence-peer.sh";
    after-resync-target "/usr/lib/drbd/crm-unfence-peer.sh";
  }
  disk { fencing resource-only; on-io-error detach; }
}
resource r0 {
  device /dev/drbd0;
  disk /dev/vg0/lv-drbd0;
  meta-disk internal;
  on node1 { address 192.0.2.2:7788; }
  on node2 { address 192.0.2.3:7788; }
}
`;
const CIB = '<cib><configuration><constraints></constraints></configuration></cib>';

/** A node root that passes every check. */
function goodRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'lioha-doctor-'));
  roots.push(root);
  put(root, '/proc/sys/kernel/osrelease', '6.1.0-28-amd64\n');
  for (const m of ['configfs', 'target_core_mod', 'iscsi_target_mod', 'target_core_iblock', 'drbd', 'dm_mod']) mkdirSync(join(root, 'sys/module', m), { recursive: true });
  for (const a of ['target', 'portal', 'vg', 'ddmap']) put(root, `/usr/lib/ocf/resource.d/lioha/${a}`, '#!/usr/bin/env node\n', 0o755);
  put(root, '/usr/bin/node', '#!/bin/sh\necho v20.19.2\n', 0o755);
  put(root, '/etc/lvm/lvm.conf', GOOD_LVM);
  put(root, '/etc/drbd.d/global_common.conf', GOOD_DRBD.split('resource r0')[0]!);
  put(root, '/etc/drbd.d/r0.res', `resource r0${GOOD_DRBD.split('resource r0')[1]}`);
  put(root, '/usr/lib/drbd/crm-fence-peer.sh', '#!/bin/sh\n', 0o755);
  put(root, '/usr/lib/drbd/crm-unfence-peer.sh', '#!/bin/sh\n', 0o755);
  put(root, '/etc/target/saveconfig.json', '{"targets": []}\n', 0o600);
  put(root, '/var/lib/pacemaker/cib/cib.xml', CIB);
  return root;
}
const opts = (root: string, o: Partial<DoctorOptions> = {}): DoctorOptions => ({
  root, vgs: ['vg1'], vgAccessMode: 'system_id', saveconfig: '/etc/target/saveconfig.json', nodeVersion: { path: '/usr/bin/node', version: 'v20.19.2' }, ...o,
});
const fails = (f: Finding[]) => f.filter((x) => x.level === 'fail');

describe('lioha doctor checks on fixture roots', () => {
  it('a well-prepared node has no failure', () => {
    const f = runChecks(opts(goodRoot()));
    expect(fails(f)).toEqual([]);
    expect(f.map((x) => x.check)).toEqual(expect.arrayContaining(['kernel-modules', 'nodejs', 'vg-autoactivation', 'lvm-filter', 'lvm-system-id', 'drbd-fencing', 'noreboot', 'saveconfig', 'cli-ban']));
  });

  it('finds each problem the seed learned the hard way, and names the fix', () => {
    const root = goodRoot();
    rmSync(join(root, 'sys/module/drbd'), { recursive: true });
    put(root, '/etc/lvm/lvm.conf', 'devices {\n filter = [ "a|.*|" ]\n}\n');
    put(root, '/etc/drbd.d/global_common.conf', 'common { disk { on-io-error detach; } }\n');
    put(root, '/etc/ha.d/noreboot', '');
    put(root, '/var/lib/pacemaker/cib/cib.xml', '<cib><configuration><constraints><rsc_location id="cli-ban-g_tgt-on-node2" rsc="g_tgt" role="Started" node="node2" score="-INFINITY"/></constraints></configuration></cib>');
    const peer = join(root, 'peer.json');
    writeFileSync(peer, '{"targets": [1]}\n');
    const f = runChecks(opts(root, { noreboot: false, compare: peer, nodeVersion: { path: '/usr/bin/node', version: 'v18.19.0' } }));
    const byCheck = new Map(fails(f).map((x) => [x.check, x]));
    expect([...byCheck.keys()].sort()).toEqual(['cli-ban', 'drbd-fencing', 'kernel-modules', 'lvm-filter', 'lvm-system-id', 'nodejs', 'noreboot', 'saveconfig', 'vg-autoactivation']);
    expect(byCheck.get('kernel-modules')!.text).toMatch(/drbd/);
    expect(byCheck.get('nodejs')!.text).toMatch(/v18\.19\.0; the agents need >= 20\.5/);
    expect(byCheck.get('vg-autoactivation')!.fix).toMatch(/auto_activation_volume_list/);
    expect(byCheck.get('lvm-filter')!.text).toMatch(/accepts the DRBD backing disk \/dev\/vg0\/lv-drbd0/);
    expect(byCheck.get('lvm-system-id')!.fix).toMatch(/system_id_source = "uname"/);
    expect(byCheck.get('drbd-fencing')!.text).toMatch(/fencing is not set; fence-peer handler is missing/);
    expect(byCheck.get('drbd-fencing')!.fix).toMatch(/crm-fence-peer\.sh/);
    expect(byCheck.get('noreboot')!.fix).toBe('rm /etc/ha.d/noreboot');
    expect(byCheck.get('saveconfig')!.text).toMatch(/differs from/);
    expect(byCheck.get('cli-ban')!.fix).toBe('pcs resource clear g_tgt');
    for (const x of fails(f)) expect(x.fix, x.check).toBeTruthy();
  });

  it('reads the node that Pacemaker\'s PATH finds; no node at all fails', () => {
    const root = goodRoot();
    unlinkSync(join(root, 'usr/bin/node'));
    const f = runChecks(opts(root, { nodeVersion: {} }));
    expect(fails(f).map((x) => x.check)).toEqual(['nodejs']);
  });

  it('parses lvm.conf sections, lists and filters', () => {
    const c = parseLvmConf(GOOD_LVM);
    expect(c.get('devices/global_filter')).toEqual(['a|^/dev/drbd[0-9]+$|', 'a|^/dev/sda2$|', 'r|.*|']);
    expect(c.get('global/system_id_source')).toBe('uname');
    expect(filterAccepts(c.get('devices/global_filter') as string[], '/dev/drbd12')).toBe(true);
    expect(filterAccepts(c.get('devices/global_filter') as string[], '/dev/vg0/lv-drbd0')).toBe(false);
  });

  it('parses DRBD resources with inherited common settings', () => {
    expect(parseDrbdConf(GOOD_DRBD)).toEqual([{
      name: 'r0', fencing: 'resource-only', disks: ['/dev/vg0/lv-drbd0'], devices: ['/dev/drbd0'],
      handlers: { 'fence-peer': '/usr/lib/drbd/crm-fence-peer.sh', 'after-resync-target': '/usr/lib/drbd/crm-unfence-peer.sh' },
    }]);
  });
});

const cli = join(process.cwd(), 'dist/bin/lioha');
describe.skipIf(!existsSync(cli))('lioha doctor (built CLI)', () => {
  it('exits 0 on a good node and 1 with the fix when a failover would break; --compare against the peer copy', () => {
    const root = goodRoot();
    const env = { PATH: process.env.PATH ?? '', LIOHA_ROOT: root };
    let r = spawnSync(cli, ['doctor', '--vg', 'vg1', '--compare', join(root, 'etc/target/saveconfig.json')], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ok   nodejs: /usr/bin/node v20.19.2');
    expect(r.stdout).toMatch(/ok   saveconfig: \/etc\/target\/saveconfig\.json identical to/);
    expect(r.status).toBe(0);
    const other = join(root, 'other.json');
    writeFileSync(other, '{}\n');
    r = spawnSync(cli, ['doctor', '--vg', 'vg1', '--compare', other], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL saveconfig: .* differs from .*\n     fix: copy the active node's file/);
    expect(r.stdout).toMatch(/1 problem\(s\) would break a failover\n$/);
  });

  it('--peer compares the checksum over one ssh call (BatchMode, the path quoted for the peer\'s shell)', () => {
    const root = goodRoot();
    const peer = mkdtempSync(join(tmpdir(), 'lioha-doctor-peer-'));
    roots.push(peer);
    put(peer, '/etc/target/saveconfig.json', '{"targets": []}\n', 0o600);
    const bin = join(root, 'bin');
    const log = join(root, 'ssh.log');
    // The ssh double: logs its words, answers for node2 only, runs the remote command with / at PEER_ROOT.
    put(root, '/bin/ssh', [
      '#!/bin/sh',
      'printf "%s\\n" "$@" >> "$SSH_LOG"',
      'while [ "$1" != -- ]; do shift; done; shift',
      '[ "$1" = node2 ] || { echo "ssh: Could not resolve hostname $1" >&2; exit 255; }',
      'cd "$PEER_ROOT" && eval "set -- $2" && "$1" "$2" ".$3"',
      '',
    ].join('\n'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, LIOHA_ROOT: root, PEER_ROOT: peer, SSH_LOG: log };
    const doctor = (...args: string[]) => spawnSync(cli, ['doctor', '--vg', 'vg1', ...args], { env, encoding: 'utf8' });
    let r = doctor('--peer', 'node2');
    expect(r.stdout).toMatch(/ok   saveconfig: \/etc\/target\/saveconfig\.json identical to node2:\/etc\/target\/saveconfig\.json/);
    expect(r.status).toBe(0);
    const words = readFileSync(log, 'utf8').trim().split('\n');
    expect(words).toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '--', 'node2', "sha256sum -- '/etc/target/saveconfig.json'"]);
    put(peer, '/etc/target/saveconfig.json', '{"targets": [2]}\n', 0o600);
    r = doctor('--peer', 'node2');
    expect(r.stdout).toMatch(/FAIL saveconfig: .* differs from node2:/);
    expect(r.status).toBe(1);
    // a name with a quote reaches the peer as that one path
    put(root, "/etc/target/it's.json", '{}\n', 0o600);
    put(peer, "/etc/target/it's.json", '{}\n', 0o600);
    r = doctor('--peer', 'node2', '--saveconfig', "/etc/target/it's.json");
    expect(r.stdout).toMatch(/ok   saveconfig: \/etc\/target\/it's\.json identical to node2:/);
    // an unreachable peer is a warning naming the way out, not a failure
    r = doctor('--peer', 'node3');
    expect(r.stdout).toMatch(/WARN saveconfig: no checksum from node3: .*Could not resolve hostname node3[^]*fix: check ssh to the peer/);
    expect(r.status).toBe(0);
    const calls = readFileSync(log, 'utf8');
    r = doctor('--peer=-oProxyCommand=x');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/is not a host name/);
    expect(readFileSync(log, 'utf8'), 'no ssh for an option-like peer').toBe(calls);
  });
});
