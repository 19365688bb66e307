/**
 * SCSI-3 persistent reservations and LIO's APTPL files. Pure.
 *
 * LIO writes `<dbroot>/pr/aptpl_<unit serial>` on every PERSISTENT RESERVE OUT (the
 * registrations and reservation when APTPL is active or attrib/force_pr_aptpl=1, otherwise
 * "No Registrations or Reservations"), and fails the command with NOT READY when it cannot.
 * It never reads the file back: whoever configures the device must write each registration
 * to core/<hba>/<so>/pr/res_aptpl_metadata before the device is exported (rtslib does this
 * in StorageObject._config_pr_aptpl). dbroot is node-global and can only change while no
 * device is configured (target_core_configfs.c, target_core_item_dbroot_store).
 */

/** rtslib's dbroot: targetcli and targetctl on the same node agree with it. */
export const DEFAULT_DBROOT = '/etc/rtslib-fb-target';
/** The kernel's own default, used when nobody sets dbroot. */
export const KERNEL_DBROOT = '/var/target';
/** target_core_pr.c builds the path in a 512-byte buffer. */
export const APTPL_PATH_MAX = 511;

export function aptplFileName(serial: string): string {
  return `aptpl_${serial}`;
}

/**
 * The registrations of an APTPL file, each as the one-line `key=value,...` form
 * pr/res_aptpl_metadata takes. A file without PR_REG_START blocks ("No Registrations or
 * Reservations") holds none.
 */
export function parseAptpl(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('PR_REG_START:')) { cur = []; continue; }
    if (line.startsWith('PR_REG_END:')) { if (cur?.length) out.push(cur.join(',')); cur = undefined; continue; }
    if (cur && /^[a-z_]+=[^,\s]*$/.test(line)) cur.push(line);
  }
  return out;
}
