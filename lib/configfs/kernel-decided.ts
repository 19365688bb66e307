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
 */
import type { StorageObject } from './model.js';

export interface KernelDecided { attribute: string; configured: string; reason: string }

/** The configured values of one storage object that the kernel decides instead. */
export function kernelDecided(so: StorageObject): KernelDecided[] {
  if (so.kind !== 'block') return [];
  const wce = so.attributes.emulate_write_cache ?? (so.writeBack === undefined ? undefined : so.writeBack ? '1' : '0');
  return wce === '1' ? [{ attribute: 'emulate_write_cache', configured: '1', reason: "iblock takes the write cache from the backing device" }] : [];
}

/** The storage object without those values: what start writes and monitor compares. */
export function withoutKernelDecided(so: StorageObject): StorageObject {
  if (!kernelDecided(so).length || so.kind !== 'block') return so;
  const { emulate_write_cache: _drop, ...attributes } = so.attributes;
  const { writeBack: _wb, ...rest } = so;
  return { ...rest, attributes };
}
