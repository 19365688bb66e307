/**
 * Minor -> resource name from drbd.conf text (/etc/drbd.conf, /etc/drbd.d/*.res):
 * /proc/drbd lists minors only, and asking drbdadm would spawn. Reads `resource
 * <name> {` and, inside it, `device /dev/drbdN` or `device minor N`. Pure.
 */
export function minorNamesFromConfig(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const clean = text.replace(/#[^\n]*/g, '');
  const re = /\bresource\s+("?)([^\s"{]+)\1\s*\{|\bdevice\s+(?:\/dev\/drbd(\d+)|minor\s+(\d+))|\bminor\s+(\d+)\s*;|([{}])/g;
  let resource: string | undefined;
  let depth = 0;
  let resourceDepth = -1;
  for (let m = re.exec(clean); m; m = re.exec(clean)) {
    if (m[2]) {
      resource = m[2];
      depth++;
      resourceDepth = depth;
    } else if (m[6] === '{') depth++;
    else if (m[6] === '}') {
      if (depth === resourceDepth) { resource = undefined; resourceDepth = -1; }
      depth--;
    } else if (resource) {
      const minor = m[3] ?? m[4] ?? m[5];
      if (minor !== undefined && !out.has(Number(minor))) out.set(Number(minor), resource);
    }
  }
  return out;
}
