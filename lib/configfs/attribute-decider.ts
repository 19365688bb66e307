/**
 * Who decides the value of a storage-object attribute: the configuration (every attribute not
 * in the table below), the backing device, or the kernel. Pure; the one table that desired
 * (kernel), apply (device refusals), plan and diff (device values neither repaired nor policed) read.
 *
 * device: bounded by the backing device (optimal_sectors <= hw_max_sectors, queue_depth <=
 *   hw_queue_depth, UNMAP only where the device discards). A saveconfig.json saved on one node
 *   carries that node's device limits; the peer's device may refuse them. As `targetctl restore`
 *   does, start writes the configured value, keeps the kernel's own where it is refused, and
 *   warns; monitor does not police them and a later start does not repair them.
 *
 * kernel: the kernel decides whatever is written, so the configured value is not written at all
 *   and is reported (validate-all and start warn; monitor sees no drift).
 *   - iblock reports the backing device's own volatile write cache (iblock_get_write_cache), and
 *     target_core_configfs.c emulate_write_cache_store refuses 1 with EINVAL on any device whose
 *     backend has get_write_cache ("emulate_write_cache not supported for this device"); 0 is
 *     accepted. Older kernels took it, so files from that time (write_back: true, or
 *     emulate_write_cache: 1 on a block object) still carry it; `targetctl restore` logs the
 *     refusal and carries on.
 *   - DPO and FUA READ are always emulated (6.1, 6.12): emulate_dpo and emulate_fua_read read 1
 *     whatever is written, and a 0 is accepted and dropped. Files from older kernels carry 0; the
 *     agent's check after start saw "emulate_dpo is 1, configured 0" (lab 48-corpus).
 */
import type { StorageObject } from './model.js';

type DeviceRule = { by: 'device'; form: 'flag' | 'count' };
type KernelRule = {
  by: 'kernel';
  /** The backends it holds for; every backend when absent. */
  backends?: readonly StorageObject['kind'][];
  /** Whether the kernel overrides this configured value. */
  overrides: (configured: string) => boolean;
  reason: string;
};

/** Attributes the kernel holds at 1. */
export const ALWAYS_ONE = ['emulate_dpo', 'emulate_fua_read'] as const;

const deviceFlag: DeviceRule = { by: 'device', form: 'flag' };
const deviceCount: DeviceRule = { by: 'device', form: 'count' };
const alwaysOne: KernelRule = { by: 'kernel', overrides: (v) => v !== '1', reason: 'the kernel always emulates it and reads 1' };

/** In the order kernel-decided values are reported. */
const DECIDED_ELSEWHERE: ReadonlyMap<string, DeviceRule | KernelRule> = new Map<string, DeviceRule | KernelRule>([
  ...ALWAYS_ONE.map((a) => [a, alwaysOne] as const),
  ['emulate_write_cache', { by: 'kernel', backends: ['block'], overrides: (v) => v === '1', reason: 'iblock takes the write cache from the backing device' }],
  ...['emulate_tpu', 'emulate_tpws', 'unmap_zeroes_data', 'is_nonrot'].map((a) => [a, deviceFlag] as const),
  ...['optimal_sectors', 'queue_depth', 'max_unmap_lba_count', 'max_unmap_block_desc_count',
    'unmap_granularity', 'unmap_granularity_alignment', 'max_write_same_len'].map((a) => [a, deviceCount] as const),
]);

/** The attributes the backing device decides: written at creation, neither repaired nor policed after. */
export const DEVICE_DECIDED: ReadonlySet<string> = new Set([...DECIDED_ELSEWHERE].filter(([, r]) => r.by === 'device').map(([a]) => a));

/**
 * Whether the kernel refusing `value` for `attribute` is the device declining it (the kernel keeps
 * its own, as targetctl restore does). Only a well-formed value counts; a malformed one is the
 * configuration's error.
 */
export function deviceMayRefuse(attribute: string, value: string): boolean {
  const rule = DECIDED_ELSEWHERE.get(attribute);
  if (rule?.by !== 'device') return false;
  return (rule.form === 'flag' ? /^[01]$/ : /^\d{1,10}$/).test(value);
}

export interface KernelDecided { attribute: string; configured: string; reason: string }

/** A block object's `write_back` (saveconfig) is its emulate_write_cache. */
function configured(so: StorageObject, attribute: string): string | undefined {
  const v = so.attributes[attribute];
  if (v !== undefined || attribute !== 'emulate_write_cache' || so.kind !== 'block' || so.writeBack === undefined) return v;
  return so.writeBack ? '1' : '0';
}

/** The configured values of one storage object that the kernel decides instead. */
export function kernelDecided(so: StorageObject): KernelDecided[] {
  const out: KernelDecided[] = [];
  for (const [attribute, rule] of DECIDED_ELSEWHERE) {
    if (rule.by !== 'kernel' || (rule.backends && !rule.backends.includes(so.kind))) continue;
    const v = configured(so, attribute);
    if (v !== undefined && rule.overrides(v)) out.push({ attribute, configured: v, reason: rule.reason });
  }
  return out;
}

/** The storage object without those values: what start writes and monitor compares. */
export function withoutKernelDecided(so: StorageObject): StorageObject {
  const decided = kernelDecided(so);
  if (!decided.length) return so;
  const attributes: Record<string, string> = { ...so.attributes };
  for (const d of decided) delete attributes[d.attribute];
  if (so.kind === 'block' && decided.some((d) => d.attribute === 'emulate_write_cache')) {
    const { writeBack: _wb, ...rest } = so;
    return { ...rest, attributes };
  }
  return { ...so, attributes };
}
