import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcDrbd, procMinor } from '../../lib/proc/drbd-proc.js';
import { parseDrbdsetupStatusJson } from '../../lib/proc/drbd-json.js';
import {
  parseDrbdadmCstate, parseDrbdadmDstate, parseDrbdadmRole, parseShMinor, resourceFromDrbdadm,
} from '../../lib/proc/drbdadm.js';
import { DrbdParseError } from '../../lib/proc/drbd-types.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/drbd/${n}`, import.meta.url), 'utf8');

describe('/proc/drbd', () => {
  it('parses the seed 8.4 sample (Secondary/Secondary), counters in bytes', () => {
    const s = parseProcDrbd(fx('proc-8.4-seed-secondary.txt'));
    expect(s.version).toBe('8.4.5');
    expect(s.api).toBe('1');
    expect(s.proto).toBe('86-101');
    expect(s.srcversion).toBe('1AEFF755B8BD61B81A0AF27');
    expect(s.resources).toHaveLength(1);
    const r = s.resources[0]!;
    expect(r.name).toBeUndefined();
    expect(r.role).toBe('Secondary');
    expect(r.volumes[0]).toMatchObject({ minor: 0, device: '/dev/drbd0', disk: 'UpToDate', protocol: 'C', ioFlags: 'r-----', suspended: false });
    expect(r.volumes[0]!.counters).toEqual({
      networkSendBytes: 0, networkReceiveBytes: 0, diskWriteBytes: 0, diskReadBytes: 2256 * 1024,
      activityLogUpdates: 0, bitmapUpdates: 0, localCount: 0, pending: 0, unacknowledged: 0,
      applicationPending: 0, epochs: 1, writeOrdering: 'f', outOfSyncBytes: 0,
    });
    expect(r.connections).toEqual([
      { connection: 'Connected', peerRole: 'Secondary', volumes: [{ volume: 0, peerDisk: 'UpToDate', replication: 'Connected' }] },
    ]);
  });

  it('sees the promotion in the second seed sample', () => {
    const r = parseProcDrbd(fx('proc-8.4-seed-primary.txt')).resources[0]!;
    expect(r.role).toBe('Primary');
    expect(r.connections[0]!.peerRole).toBe('Secondary');
    expect(r.volumes[0]!.counters!.diskReadBytes).toBe(152 * 1024);
  });

  it('parses DRBD 8.0 `st:` with its extra cache lines', () => {
    const s = parseProcDrbd(fx('proc-8.0-seed.txt'));
    expect(s.version).toBe('8.0.14');
    expect(s.gitHash).toBe('bb447522fc9a87d0069b7e14f0234911ebdab0f7');
    const r = s.resources[0]!;
    expect(r.role).toBe('Primary');
    expect(r.connections[0]!.peerRole).toBe('Primary');
    expect(r.volumes[0]!.ioFlags).toBe('r---');
    expect(r.volumes[0]!.counters).toMatchObject({
      networkSendBytes: 435488 * 1024, networkReceiveBytes: 522292 * 1024, diskWriteBytes: 1229708 * 1024,
      diskReadBytes: 165620 * 1024, activityLogUpdates: 14, bitmapUpdates: 85, applicationPending: 0,
    });
    expect(r.volumes[0]!.counters!.outOfSyncBytes).toBeUndefined();
  });

  it('handles minors >= 10, unconfigured, standalone, sync lines and suspended I/O', () => {
    const s = parseProcDrbd(fx('proc-8.4-many.txt'));
    expect(s.resources.map((r) => r.volumes[0]!.minor)).toEqual([0, 1, 2, 3, 10, 11]);
    expect(procMinor(s, 1)).toMatchObject({ role: 'Unknown', connections: [] });
    expect(procMinor(s, 2)!.connections[0]).toMatchObject({ connection: 'WFConnection', peerRole: 'Unknown' });
    expect(procMinor(s, 2)!.volumes[0]!.counters!.outOfSyncBytes).toBe(64 * 1024);
    const standalone = procMinor(s, 3)!;
    expect(standalone).toMatchObject({ role: 'Secondary', connections: [] });
    expect(standalone.volumes[0]).toMatchObject({ disk: 'Outdated', protocol: undefined, ioFlags: 'r-----' });
    const ten = procMinor(s, 10)!;
    expect(ten.role).toBe('Primary');
    expect(ten.connections[0]!.volumes[0]).toEqual({ volume: 0, peerDisk: 'Inconsistent', replication: 'SyncSource' });
    expect(ten.volumes[0]!.counters).toMatchObject({ outOfSyncBytes: 1636712 * 1024, pending: 8, writeOrdering: 'b' });
    const eleven = procMinor(s, 11)!;
    expect(eleven.volumes[0]).toMatchObject({ device: '/dev/drbd11', disk: 'Diskless', suspended: true });
    expect(procMinor(s, 4)).toBeUndefined();
  });

  it('DRBD 9 lists no minors', () => {
    const s = parseProcDrbd(fx('proc-9.txt'));
    expect(s.version).toBe('9.2.8');
    expect(s.resources).toEqual([]);
  });

  it('rejects unknown states instead of guessing', () => {
    expect(() => parseProcDrbd(' 0: cs:Connected ro:Primary/Bogus ds:UpToDate/UpToDate C r-----\n')).toThrow(DrbdParseError);
    expect(() => parseProcDrbd(' 0: cs:Connected ds:UpToDate/UpToDate C r-----\n')).toThrow(/no ro:/);
  });
});

describe('drbdsetup status --json', () => {
  it('gives the same model, per volume and per peer, sizes in bytes', () => {
    const [r0, r1] = parseDrbdsetupStatusJson(fx('drbdsetup-status-9.json'));
    expect(r0).toMatchObject({ name: 'r0', role: 'Primary', suspended: false });
    expect(r0!.volumes.map((v) => [v.volume, v.minor, v.device, v.disk])).toEqual([
      [0, 0, '/dev/drbd0', 'UpToDate'], [1, 12, '/dev/drbd12', 'UpToDate'],
    ]);
    expect(r0!.volumes[0]!.counters).toMatchObject({ diskReadBytes: 1220 * 1024, diskWriteBytes: 2048 * 1024, activityLogUpdates: 3 });
    expect(r0!.connections[0]).toMatchObject({ peerName: 'iscsitgt01s', peerNodeId: 1, connection: 'Connected', peerRole: 'Secondary' });
    expect(r0!.connections[0]!.volumes[1]).toEqual({ volume: 1, peerDisk: 'Inconsistent', replication: 'SyncSource', outOfSyncBytes: 4096 * 1024 });
    expect(r1).toMatchObject({ name: 'r1', role: 'Secondary' });
    expect(r1!.volumes[0]!.disk).toBe('Outdated');
    expect(r1!.connections[0]).toMatchObject({ connection: 'Connecting', peerRole: 'Unknown' });
  });

  it('fails loudly on malformed input', () => {
    expect(() => parseDrbdsetupStatusJson('{')).toThrow(/not JSON/);
    expect(() => parseDrbdsetupStatusJson('{}')).toThrow(/not an array/);
    expect(() => parseDrbdsetupStatusJson('[{"name":"r0","role":"Primary","devices":[{"volume":0,"disk-state":"UpToDate"}]}]')).toThrow(/without minor/);
  });
});

describe('drbdadm role/dstate/cstate', () => {
  it('8.4: local/peer per volume', () => {
    expect(parseDrbdadmRole(fx('drbdadm-role-84.txt'))).toEqual([{ local: 'Primary', peer: 'Secondary' }, { local: 'Primary', peer: 'Secondary' }]);
    expect(parseDrbdadmDstate(fx('drbdadm-dstate-84.txt'))[1]).toEqual({ local: 'UpToDate', peer: 'Inconsistent' });
    expect(parseDrbdadmCstate(fx('drbdadm-cstate-84.txt'))).toEqual(['Connected', 'SyncSource']);
    const r = resourceFromDrbdadm('r0', [0, 10], fx('drbdadm-role-84.txt'), fx('drbdadm-dstate-84.txt'), fx('drbdadm-cstate-84.txt'));
    expect(r.name).toBe('r0');
    expect(r.role).toBe('Primary');
    expect(r.volumes.map((v) => [v.minor, v.device, v.disk])).toEqual([[0, '/dev/drbd0', 'UpToDate'], [10, '/dev/drbd10', 'UpToDate']]);
    expect(r.connections[0]!.volumes[1]).toEqual({ volume: 1, peerDisk: 'Inconsistent', replication: 'SyncSource' });
  });

  it('9: local role alone', () => {
    const r = resourceFromDrbdadm('r0', [0], fx('drbdadm-role-9.txt'), fx('drbdadm-dstate-9.txt'));
    expect(r).toMatchObject({ role: 'Secondary', connections: [] });
    expect(r.volumes[0]!.disk).toBe('UpToDate');
  });

  it('sh-minor and mismatches', () => {
    expect(parseShMinor('0\n10\n')).toEqual([0, 10]);
    expect(() => parseShMinor("'r9' not defined in your config\n")).toThrow(DrbdParseError);
    expect(() => resourceFromDrbdadm('r0', [0, 1], 'Primary/Secondary\n', 'UpToDate/UpToDate\n')).toThrow(/1 line/);
    expect(() => parseDrbdadmRole('')).toThrow(/empty/);
  });
});

describe('drbdsetup show', () => {
  it('8.4: minors, volumes and backing disks per resource', async () => {
    const { parseDrbdsetupShow } = await import('../../lib/proc/drbdsetup-show.js');
    expect(parseDrbdsetupShow(fx('drbdsetup-show-84.txt'))).toEqual([
      { resource: 'r0', volume: 0, minor: 0, disk: '/dev/vg0/lv-drbd0' },
      { resource: 'r10', volume: 0, minor: 10, disk: '/dev/sdb1' },
      { resource: 'r10', volume: 1, minor: 11 },
    ]);
  });
  it('9: quoted resource names', async () => {
    const { parseDrbdsetupShow } = await import('../../lib/proc/drbdsetup-show.js');
    expect(parseDrbdsetupShow(fx('drbdsetup-show-9.txt'))).toEqual([{ resource: 'r0', volume: 0, minor: 0, disk: '/dev/vg0/lv-drbd0' }]);
    expect(parseDrbdsetupShow('')).toEqual([]);
  });
});
