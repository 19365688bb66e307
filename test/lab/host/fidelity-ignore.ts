/**
 * configfs entries whose value legitimately differs between the lab VM and the emulator, so the fidelity
 * check skips them. Each rule says why; everything else (presence, modes, values, link targets) must match.
 */
const RULES: { re: RegExp; why: string }[] = [
  { re: /^\.\/version$/, why: 'names the running kernel release' },
  { re: /^\.\/dbroot$/, why: 'the kernel falls back to /var/target when /etc/target is missing at module load' },
  { re: /^\.\/iscsi\/cpus_allowed_list$/, why: 'the CPUs of the machine' },
  { re: /\/statistics\/[^/]+\/creation_time$/, why: 'jiffies at creation' },
  { re: /\/statistics\/[^/]+\/(inst|indx|dev|port_auth_indx|role)$/, why: 'kernel-global device/port indices: depend on everything created since boot' },
  { re: /^\.\/core\/[^/]+\/[^/]+\/info$/, why: 'names the backing dm device (major/minor) and its queue limits' },
  { re: /^\.\/core\/[^/]+\/[^/]+\/attrib\/hw_max_sectors$/, why: 'queue limit of the real backing device' },
];

export function KNOWN_KERNEL_ONLY(path: string): boolean {
  return RULES.some((r) => r.re.test(path));
}
