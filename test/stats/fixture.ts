/**
 * An emulated node for the statistics tests and the scrape bench: a target with
 * N block LUNs and M ACLs (every LUN mapped into every ACL), built through the
 * configfs emulator, plus helpers that play the kernel's part for what the
 * emulator keeps static (counters, sessions), /proc/drbd and ddmap states.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulatedConfigFs } from '../../lib/configfs/emulator-fixture.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';

export const IQN = 'iqn.2016-09.com.example:iscsitgt01';
export const ini = (i: number) => `iqn.2016-09.com.example:host${String(i).padStart(2, '0')}`;
export const PORTAL = '127.0.0.1:3260';

export interface Node { root: string; base: string; cleanup(): void }

/**
 * devIndexes (default true): the device indices the kernel shows in scsi_tgt_port/dev and in each
 * mapped LUN's scsi_auth_intr/dev (storage object i gets i + 1, as dev_index counts devices). false
 * keeps the emulator's static templates, where every index is the same: the readers must then
 * fall back to the mapped LUNs' links.
 */
export async function makeNode(opts: { luns?: number; acls?: number; vg?: string; devIndexes?: boolean } = {}): Promise<Node> {
  const luns = opts.luns ?? 4;
  const acls = opts.acls ?? 4;
  const vg = opts.vg ?? 'vg1';
  const parent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = mkdtempSync(join(parent, 'lioha-stats-'));
  const base = createEmulatedConfigFs(root);
  const cfs = new EmulatedConfigFs(base);
  mkdirSync(join(root, 'dev', vg), { recursive: true });
  for (let i = 0; i < luns; i++) {
    writeFileSync(join(root, `dev/${vg}/lv-lun${i}`), '');
    const so = `core/iblock_${i}/lun${i}`;
    await cfs.mkdir(`core/iblock_${i}`);
    await cfs.mkdir(so);
    await cfs.write(`${so}/control`, `udev_path=/dev/${vg}/lv-lun${i}`);
    await cfs.write(`${so}/udev_path`, `/dev/${vg}/lv-lun${i}`);
    await cfs.write(`${so}/enable`, '1');
  }
  const tpg = `iscsi/${IQN}/tpgt_1`;
  await cfs.mkdir(`iscsi/${IQN}`);
  await cfs.mkdir(tpg);
  await cfs.mkdir(`${tpg}/np/${PORTAL}`);
  for (let i = 0; i < luns; i++) {
    await cfs.mkdir(`${tpg}/lun/lun_${i}`);
    await cfs.symlink(`core/iblock_${i}/lun${i}`, `${tpg}/lun/lun_${i}/l${i}`);
  }
  for (let a = 0; a < acls; a++) {
    const dir = `${tpg}/acls/${ini(a)}`;
    await cfs.mkdir(dir);
    for (let i = 0; i < luns; i++) {
      await cfs.mkdir(`${dir}/lun_${i}`);
      await cfs.symlink(`${tpg}/lun/lun_${i}`, `${dir}/lun_${i}/m${i}`);
    }
  }
  await cfs.write(`${tpg}/enable`, '1');
  const node = { root, base, cleanup: () => rmSync(root, { recursive: true, force: true }) };
  if (opts.devIndexes ?? true) {
    for (let i = 0; i < luns; i++) {
      setAttr(node, `${tpg}/lun/lun_${i}/statistics/scsi_tgt_port/dev`, i + 1);
      for (let a = 0; a < acls; a++) setAttr(node, `${tpg}/acls/${ini(a)}/lun_${i}/statistics/scsi_auth_intr/dev`, i + 1);
    }
  }
  return node;
}

/** Sets a kernel-side attribute (read-only to configfs users) as the kernel would. */
export function setAttr(n: Node, rel: string, value: string | number): void {
  const p = join(n.base, rel);
  chmodSync(p, 0o644);
  writeFileSync(p, `${value}\n`);
  chmodSync(p, 0o444);
}

export function setLunMiB(n: Node, lun: number, read: number, write: number, cmds: number): void {
  const s = `iscsi/${IQN}/tpgt_1/lun/lun_${lun}/statistics/scsi_tgt_port`;
  setAttr(n, `${s}/read_mbytes`, read);
  setAttr(n, `${s}/write_mbytes`, write);
  setAttr(n, `${s}/in_cmds`, cmds);
}

export function setInitiatorMiB(n: Node, a: number, lun: number, read: number, write: number, cmds: number): void {
  const s = `iscsi/${IQN}/tpgt_1/acls/${ini(a)}/lun_${lun}/statistics/scsi_auth_intr`;
  setAttr(n, `${s}/read_mbytes`, read);
  setAttr(n, `${s}/write_mbytes`, write);
  setAttr(n, `${s}/num_cmds`, cmds);
}

/** The ACL's info text for a logged-in session, as lio_target_nacl_info_show prints it (6.1). */
export function sessionInfo(initiator: string, addresses: string[]): string {
  let t = `InitiatorName: ${initiator}\nInitiatorAlias: host\nLIO Session ID: 3   ISID: 0x00 02 3d 00 00 00  TSIH: 2  SessionType: Normal\n` +
    'Session State: TARG_SESS_STATE_LOGGED_IN\n---------------------[iSCSI Session Values]-----------------------\n' +
    '  CmdSN/WR  :  CmdSN/WC  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT\n 0x00000012   0x00000012   0x00000012   0x00000051   0x00000011   0xffffffff\n' +
    '----------------------[iSCSI Connections]-------------------------\n';
  addresses.forEach((a, cid) => {
    t += `CID: ${cid}  Connection State: TARG_CONN_STATE_LOGGED_IN\n   Address ${a} TCP  StatSN: 0x00000010\n`;
  });
  return t;
}

export function logIn(n: Node, a: number, addresses = ['127.0.0.1'], counters = { cmd: 20, rsp: 20, tx: 4096, rx: 1048576 }): void {
  const dir = `iscsi/${IQN}/tpgt_1/acls/${ini(a)}`;
  writeFileSync(join(n.base, dir, 'info'), sessionInfo(ini(a), addresses));
  const s = `${dir}/fabric_statistics/iscsi_sess_stats`;
  setAttr(n, `${s}/cmd_pdus`, counters.cmd);
  setAttr(n, `${s}/rsp_pdus`, counters.rsp);
  setAttr(n, `${s}/txdata_octs`, counters.tx);
  setAttr(n, `${s}/rxdata_octs`, counters.rx);
  setAttr(n, `${s}/conn_digest_errors`, 0);
  setAttr(n, `${s}/conn_timeout_errors`, 0);
}

export function setLoginStats(n: Node, v: Partial<Record<'accepts' | 'authenticate_fails' | 'authorize_fails' | 'negotiate_fails' | 'other_fails' | 'redirects', number>>): void {
  for (const [k, x] of Object.entries(v)) setAttr(n, `iscsi/${IQN}/fabric_statistics/iscsi_login_stats/${k}`, x);
}

export const PROC_DRBD_84 = `version: 8.4.11 (api:1/proto:86-101)
srcversion: 2BE4D5E4B1B8F2A1F0C0A1B
 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
    ns:145248 nr:0 dw:2048 dr:146112 al:3 bm:8 lo:0 pe:1 ua:0 ap:0 ep:1 wo:f oos:117184
\t[=========>..........] sync'ed: 55.6% (117184/262108)K
\tfinish: 0:00:05 speed: 22,400 (22,400) K/sec
`;

export function writeFile(n: Node, abs: string, text: string): void {
  const p = join(n.root, abs);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

/** /proc/net/tcp with one listener on 127.0.0.1:3260. */
export const PROC_NET_TCP_LISTEN_3260 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CBC 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
`;
