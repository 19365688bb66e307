import { describe, expect, it } from 'vitest';
import { ExecFailedError, ExecTimeoutError, commandName } from '../../lib/exec/errors.js';
import { Failure, failureOf, fitReason, REASON_MAX } from '../../lib/failure.js';
import { buildLvmConfig } from '../../lib/lvm/config.js';
import { dispatch } from '../../lib/ocf/dispatch.js';
import { defineAgent } from '../../lib/definition.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { memoryLogger } from '../helpers/context.js';
import { reasonProblem, recordReasons, seenReasons } from '../helpers/reasons.js';
import { runBuiltAgent } from '../helpers/agent.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The command line vg's activation runs: hundreds of characters of --config before the VG name.
const cfg = buildLvmConfig({ extraAccept: ['^/dev/disk/by-id/scsi-3600a098038303634722b4d59704c5a5a$'], noUdev: true, volumeList: ['@pacemaker'] });
const vgchange = ['lvm', 'vgchange', '-ay', '--config', cfg, 'vg0'].join(' ');

const def = defineAgent({
  name: 'r',
  version: '1',
  shortdesc: 's',
  longdesc: 'l',
  parameters: [],
  actions: [
    { name: 'start', timeout: 30 },
    { name: 'stop', timeout: 30 },
    { name: 'monitor', timeout: 30, interval: 10 },
  ],
});

async function reasonOf(thrown: unknown): Promise<{ line: string; log: ReturnType<typeof memoryLogger> }> {
  const err: string[] = [];
  const log = memoryLogger();
  const fail = async (): Promise<OcfExit> => {
    throw thrown;
  };
  await dispatch(def, '<xml/>', { start: fail, stop: fail, monitor: fail }, { argv: ['start'], env: {}, stdout: () => {}, stderr: (s) => err.push(s), terminal: false, logger: log });
  recordReasons(err.join(''), 'exit-reasons.test.ts');
  const line = err.join('').split('\n').find((l) => l.startsWith('ocf-exit-reason:'));
  return { line: line!.slice('ocf-exit-reason:'.length), log };
}

describe('exit reasons: verdict and object first, within 128 characters', () => {
  it('the vg activation timeout names lvm vgchange and its verdict, not the --config line', async () => {
    expect(vgchange.length).toBeGreaterThan(300);
    const f = failureOf(new ExecTimeoutError(vgchange, 30_000), 'activating vg0')!;
    expect(f.reason).toBe('activating vg0: lvm vgchange timed out after 30 s and was killed');
    expect(f.reason.length).toBeLessThanOrEqual(REASON_MAX);
    // The full command line is kept for the log.
    expect(f.detail).toContain(cfg);
    const { line, log } = await reasonOf(f);
    expect(line).toBe(f.reason);
    expect(JSON.stringify(log.lines)).toContain('volume_list');
  });

  it('a failed command gives its exit code and first telling stderr line; stderr goes to the log', async () => {
    const stderr = '  WARNING: Device /dev/drbd0 not initialized in udev database even after waiting 10000000 microseconds.\n  Logical volume vg0/lun0 in use.\n  Can\'t deactivate volume group "vg0" with 1 open logical volume(s)\n';
    const e = new ExecFailedError(['lvm', 'vgchange', '-an', '--config', cfg, 'vg0'].join(' '), { exitCode: 5, stdout: '', stderr, durationMs: 1 });
    const f = failureOf(e, 'deactivating vg0')!;
    expect(f.reason).toBe('deactivating vg0: lvm vgchange exited 5: Logical volume vg0/lun0 in use.');
    expect(f.detail).toContain("Can't deactivate");
    const long = new ExecFailedError('mount -t ext4 /dev/vg0/meta /mnt/x', { exitCode: 32, stdout: '', stderr: `mount: ${'x'.repeat(300)}: wrong fs type`, durationMs: 1 });
    const g = failureOf(long, 'mounting vg0/meta')!;
    expect(g.reason.length).toBeLessThanOrEqual(REASON_MAX);
    expect(g.reason.startsWith('mounting vg0/meta: mount exited 32: ')).toBe(true);
  });

  it('commandName: program base name, plus the subcommand of tools that have one', () => {
    expect(commandName(vgchange)).toBe('lvm vgchange');
    expect(commandName('/sbin/ip -o -4 addr show to 192.0.2.1/32')).toBe('ip addr');
    expect(commandName('mount -t ext4 /dev/x /mnt')).toBe('mount');
    expect(commandName('nft -f -')).toBe('nft');
    expect(commandName('dd if=/dev/vg0/x of=/dev/null')).toBe('dd');
  });

  it('dispatch never prints more than 128 characters and shortens the detail, not the verdict', async () => {
    const iqn = `iqn.2003-01.org.linux-iscsi.node1.x8664:sn.${'a'.repeat(170)}`;
    const { line: a } = await reasonOf(new Failure('generic', `target ${iqn} is live but cannot be checked: ${'detail '.repeat(40)}`));
    expect(a.length).toBeLessThanOrEqual(REASON_MAX);
    expect(a).toMatch(/^target iqn\.2003-01\.org\.linux-is…a+ is live but cannot be checked: detail/);
    expect(a.endsWith('…')).toBe(true);
    const { line: b, log } = await reasonOf(new Error('x'.repeat(500)));
    expect(b.length).toBeLessThanOrEqual(REASON_MAX);
    expect(b.startsWith('start failed unexpectedly: ')).toBe(true);
    expect(JSON.stringify(log.lines)).toContain('x'.repeat(500));
  });

  it('fitReason keeps short reasons as they are and makes one line', () => {
    expect(fitReason('volume group vg0 is not active')).toBe('volume group vg0 is not active');
    expect(fitReason('a\n  b')).toBe('a b');
  });

  it('the suite-wide collector sees the reasons of built agents (test/setup/exit-reasons.ts)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-reasons-'));
    try {
      const r = runBuiltAgent('dummy', 'start', { params: { state: join(dir, 'state'), mode: 'fail-start' } });
      expect(r.code).toBe(1);
      expect(seenReasons().some((x) => x.source.includes('/dummy start') && x.reason === r.reasons[0])).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the collector check refuses what Pacemaker would cut or a command line echoed before the verdict', () => {
    expect(reasonProblem('x'.repeat(129))).toMatch(/129 characters/);
    expect(reasonProblem(' lead')).toBeDefined();
    expect(reasonProblem('activating vg0: lvm vgchange -ay --config devices{} --reportformat json … did not finish')).toMatch(/command line/);
    expect(reasonProblem('activating vg0: lvm vgchange timed out after 30 s and was killed')).toBeUndefined();
  });
});
