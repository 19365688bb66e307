/**
 * configfs entries whose value legitimately differs between the lab VM and the emulator, so the fidelity
 * check skips them. Each entry says why; everything else must match exactly.
 */
const RULES: { re: RegExp; why: string }[] = [];

export function KNOWN_KERNEL_ONLY(path: string): boolean {
  return RULES.some((r) => r.re.test(path));
}
