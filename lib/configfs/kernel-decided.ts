/**
 * Configured values the kernel decides itself for a backend and refuses to be set. Pure.
 *
 * iblock reports the backing device's own volatile write cache (iblock_get_write_cache), and
 * target_core_configfs.c emulate_write_cache_store refuses 1 with EINVAL on any device whose
 * backend has get_write_cache ("emulate_write_cache not supported for this device"); 0 is
 * accepted. Older kernels took it, so files from that time (write_back: true, or
 * emulate_write_cache: 1 on a block object) still carry it. `targetctl restore` logs the
 * refusal and carries on; the agent does the same, with a warning naming the objects, and
 * neither start nor monitor treats the device's value as drift.
 *
 * DPO and FUA READ are always emulated (6.1, 6.12): emulate_dpo and emulate_fua_read read 1
 * whatever is written, and a 0 is accepted and dropped. Files from older kernels carry 0; the
 * agent's check after start saw "emulate_dpo is 1, configured 0" (lab 48-corpus).
 */
import type { StorageObject } from './model.js';

export interface KernelDecided { attribute: string; configured: string; reason: string }

/** The configured values of one storage object that the kernel decides instead. */
export function kernelDecided(so: StorageObject): KernelDecided[] {
  const out: KernelDecided[] = [];
  for (const a of ALWAYS_ONE) {
    const v = so.attributes[a];
    if (v !== undefined && v !== '1') out.push({ attribute: a, configured: v, reason: 'the kernel always emulates it and reads 1' });
  }
  if (so.kind !== 'block') return out;
  const wce = so.attributes.emulate_write_cache ?? (so.writeBack === undefined ? undefined : so.writeBack ? '1' : '0');
  if (wce === '1') out.push({ attribute: 'emulate_write_cache', configured: '1', reason: 'iblock takes the write cache from the backing device' });
  return out;
}
/** Attributes the kernel holds at 1. */
export const ALWAYS_ONE = ['emulate_dpo', 'emulate_fua_read'] as const;

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
