import * as fs from 'node:fs';
import { join } from 'node:path';
import type { EmulatorFault, EmulatorKillPoint } from './emulator.js';
import { EMULATOR_MARKER, TARGET_ROOT } from './io.js';
import { DEFAULT_LU_GP_DIR, DISCOVERY_AUTH_DIR, discoveryAuthFile, iscsiFile } from './layout.js';

export { TARGET_ROOT };

/**
 * Creates an empty emulated LIO configfs under `root` (a test or conformance fixture
 * root): core/ with the default ALUA LU group, iscsi/ with discovery_auth, dbroot,
 * version files and the marker that makes every lioha agent use the emulator.
 * Returns the host path of the emulated /sys/kernel/config/target.
 */
export function createEmulatedConfigFs(root: string, opts: { faults?: EmulatorFault[]; kernel?: string } = {}): string {
  const base = join(root, TARGET_ROOT);
  const dirs = [DEFAULT_LU_GP_DIR, DISCOVERY_AUTH_DIR];
  const files: [string, number, string][] = [
    [`${DEFAULT_LU_GP_DIR}/lu_gp_id`, 0o644, '0\n'],
    [`${DEFAULT_LU_GP_DIR}/members`, 0o444, ''],
    ['dbroot', 0o644, '/var/target\n'], // the kernel's default
    ['version', 0o444, 'Target Engine Core ConfigFS Infrastructure v5.0 on Linux/x86_64 on lioha-emulator\n'],
    [iscsiFile('cpus_allowed_list'), 0o644, '0-1\n'],
    [iscsiFile('lio_version'), 0o444, 'Datera Inc. iSCSI Target v4.1.0\n'],
    [discoveryAuthFile('authenticate_target'), 0o444, '0\n'],
    [discoveryAuthFile('enforce_discovery_auth'), 0o644, '0\n'],
    [discoveryAuthFile('password'), 0o644, '\n'],
    [discoveryAuthFile('password_mutual'), 0o644, '\n'],
    [discoveryAuthFile('userid'), 0o644, '\n'],
    [discoveryAuthFile('userid_mutual'), 0o644, '\n'],
  ];
  for (const d of dirs) fs.mkdirSync(join(base, d), { recursive: true });
  for (const [f, mode, v] of files) {
    fs.writeFileSync(join(base, f), v, { mode });
    fs.chmodSync(join(base, f), mode);
  }
  setEmulatorFaults(root, opts.faults ?? []);
  // The kernel the emulator models: one of the recorded trees (lib/configfs/kernel-trees.ts), 6.1 by default.
  fs.mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
  fs.writeFileSync(join(root, 'proc/sys/kernel/osrelease'), `${opts.kernel ?? '6.1'}.0-lioha-emulated\n`);
  return base;
}

/**
 * (Re)writes the fault list (and the crash-test kill point) read by emulators opened afterwards,
 * in this or another process.
 */
export function setEmulatorFaults(root: string, faults: EmulatorFault[], kill?: EmulatorKillPoint): void {
  const marker = { ...(faults.length ? { faults } : {}), ...(kill ? { kill } : {}) };
  fs.writeFileSync(join(root, TARGET_ROOT, EMULATOR_MARKER), Object.keys(marker).length ? JSON.stringify(marker) + '\n' : '');
}
