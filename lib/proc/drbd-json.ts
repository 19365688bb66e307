import {
  asConn, asDisk, asRole, DrbdParseError,
  type DrbdConnection, type DrbdResource, type DrbdVolume,
} from './drbd-types.js';

/**
 * Pure parser for `drbdsetup status --json` (drbd-utils 9, DRBD 9 kernel).
 * Sizes and I/O totals are KiB there; converted to bytes.
 */
type Json = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const kib = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : n * 1024;
};
const str = (o: Json, k: string, what: string): string => {
  const v = o[k];
  if (typeof v !== 'string') throw new DrbdParseError(`drbdsetup json: ${what} has no string "${k}"`);
  return v;
};

export function parseDrbdsetupStatusJson(text: string): DrbdResource[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DrbdParseError(`drbdsetup json: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(doc)) throw new DrbdParseError('drbdsetup json: top level is not an array');
  return doc.map((r) => resource(r as Json));
}

function resource(r: Json): DrbdResource {
  const name = str(r, 'name', 'resource');
  const devices = Array.isArray(r.devices) ? (r.devices as Json[]) : [];
  const connections = Array.isArray(r.connections) ? (r.connections as Json[]) : [];
  const suspended = ['suspended', 'suspended-user', 'suspended-no-data', 'suspended-fencing', 'suspended-quorum']
    .some((k) => r[k] === true);
  return {
    name,
    role: asRole(str(r, 'role', name)),
    suspended,
    volumes: devices.map((d): DrbdVolume => {
      const minor = num(d.minor);
      if (minor === undefined) throw new DrbdParseError(`drbdsetup json: ${name} device without minor`);
      return {
        volume: num(d.volume) ?? 0,
        minor,
        device: `/dev/drbd${minor}`,
        disk: asDisk(str(d, 'disk-state', `${name} minor ${minor}`)),
        counters: {
          diskReadBytes: kib(d.read),
          diskWriteBytes: kib(d.written),
          activityLogUpdates: num(d['al-writes']),
          bitmapUpdates: num(d['bm-writes']),
          pending: num(d['upper-pending']),
          localCount: num(d['lower-pending']),
        },
      };
    }),
    connections: connections.map((c): DrbdConnection => ({
      peerName: typeof c.name === 'string' ? c.name : undefined,
      peerNodeId: num(c['peer-node-id']),
      connection: asConn(str(c, 'connection-state', `${name} connection`)),
      peerRole: asRole(str(c, 'peer-role', `${name} connection`)),
      volumes: (Array.isArray(c.peer_devices) ? (c.peer_devices as Json[]) : []).map((p) => ({
        volume: num(p.volume) ?? 0,
        peerDisk: asDisk(str(p, 'peer-disk-state', `${name} peer device`)),
        replication: typeof p['replication-state'] === 'string' ? asConn(p['replication-state']) : undefined,
        outOfSyncBytes: kib(p['out-of-sync']),
      })),
    })),
  };
}
