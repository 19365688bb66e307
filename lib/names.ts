/**
 * Names that become path components (configfs directories, /dev/<vg>/<lv>, state files),
 * checked in one place. A name that passes contains no '/', is never '.' or '..', and stays
 * within the kernel's limits, so joining it under a root can never leave that root.
 */

/** RFC 3720 3.2.6.1: an iSCSI name is at most 223 bytes (UTF-8). */
export const ISCSI_NAME_MAX_BYTES = 223;

// RFC 3720 3.2.6.3: iqn.<yyyy-mm>.<reversed domain>[:<anything the naming authority picks>],
// eui.<16 hex> (EUI-64), naa.<16 or 32 hex> (RFC 3980). The characters after stringprep
// (RFC 3722) are letters, digits, '-', '.' and ':'; '_' is accepted as real names use it.
// The month is checked as rtslib does ([01][0-9]): real targetcli files carry names like iqn.2016-17.com.chelsio.
const IQN = /^iqn\.\d{4}-[01]\d\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9.:_-]+)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/i;

/** Why `name` is not a valid iSCSI (target or initiator) name, or undefined when it is. */
export function iscsiNameProblem(name: string): string | undefined {
  if (Buffer.byteLength(name, 'utf8') > ISCSI_NAME_MAX_BYTES) return `is longer than ${ISCSI_NAME_MAX_BYTES} bytes`;
  if (IQN.test(name) || EUI.test(name) || NAA.test(name)) return undefined;
  return 'is not an iSCSI name (iqn.yyyy-mm.reversed.domain[:name], eui.<16 hex> or naa.<16 or 32 hex>; letters, digits, - . : _)';
}

export function isIscsiName(name: string): boolean {
  return iscsiNameProblem(name) === undefined;
}

/** LVM volume group and logical volume names (lvm(8) "VALID NAMES"), at most 127 characters. */
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;
export function isLvmName(name: string): boolean {
  return LVM_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * One directory level in configfs chosen by a user: storage object names (core/<hba>/<name>)
 * and attribute/parameter file names. rtslib allows letters, digits and - _ . :; never '/',
 * never '.' or '..', at most 255 bytes (NAME_MAX).
 */
const OBJECT_NAME = /^[A-Za-z0-9_.:-]{1,255}$/;
export function isObjectName(name: string): boolean {
  return OBJECT_NAME.test(name) && name !== '.' && name !== '..';
}

/** Attribute and parameter file names of configfs groups (attrib/, param/, auth/). */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_]{1,64}$/;
export function isAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME.test(name);
}
