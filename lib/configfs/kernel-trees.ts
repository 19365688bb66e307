/**
 * The real kernels whose configfs trees are recorded (test/lab/tests/12-record-tree.sh, turned
 * into templates by scripts/configfs-templates-from-recording.mjs): what the emulator creates
 * on mkdir, and what validate-all knows a kernel has before anything is configured on it.
 */
import { TEMPLATES as TREE_6_1, type TemplateEntry, type TemplateKind } from './emulator-templates.js';
import { TEMPLATES as TREE_6_12 } from './emulator-templates-6.12.js';

export type KernelTree = Readonly<Record<TemplateKind, readonly TemplateEntry[]>>;
/** 6.1: Debian 12 (shared/reference/real-kernel); 6.12: Debian 13 (test/fixtures/target/configfs-tree-6.12.txt). */
export const RECORDED_KERNELS: Readonly<Record<string, KernelTree>> = { '6.1': TREE_6_1, '6.12': TREE_6_12 };
export const DEFAULT_SERIES = '6.1';

/** "6.12.117+deb13-amd64" -> "6.12" */
export function kernelSeries(release: string): string {
  return /^(\d+\.\d+)/.exec(release)?.[1] ?? release;
}
