/**
 * `--source PATH`: back up a file or block device as it is, without a snapshot (an image, a
 * volume nobody writes, a snapshot the operator made). The caller answers for it staying
 * unchanged while the copy runs.
 */
import type { Root } from '../sys/root.js';
import { sizeOf } from './device.js';
import type { Snapshot, SnapshotProvider } from './snapshot.js';

export function directSource(path: string, root: Root, origin: string): SnapshotProvider {
  const snapshot = async (): Promise<Snapshot> => ({ name: '', device: path, sizeBytes: (await sizeOf(path, root)).bytes });
  return {
    origin,
    snapshotName: '',
    originDevice: () => path,
    originBytes: async () => (await snapshot()).sizeBytes,
    create: snapshot,
    find: async (name) => (name === '' ? snapshot() : null),
    invalid: async () => null,
    remove: async () => undefined,
  };
}
