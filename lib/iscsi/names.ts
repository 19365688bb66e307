/**
 * iSCSI names (RFC 3720 3.2.6.3, RFC 3721): iqn.yyyy-mm.reversed.domain[:any],
 * eui.<16 hex>, naa.<16 or 32 hex>; at most 223 bytes. Checked before a name
 * is used as a key, logged, or passed on to a back-end.
 */
const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[\x21-\x7e]*)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/i;

export function isIscsiName(s: string): boolean {
  return Buffer.byteLength(s) <= 223 && (IQN.test(s) || EUI.test(s) || NAA.test(s));
}
