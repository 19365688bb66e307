import {
  asConn, asDisk, asRole, DrbdParseError,
  type DrbdCounters, type DrbdProcStatus, type DrbdResource,
} from './drbd-types.js';

/**
 * Pure parser for /proc/drbd. 8.0 writes the roles as `st:`, 8.3/8.4 as `ro:`;
 * minors are right-aligned `%2d:` so minor 10 and above have no leading space
 * (the munin plugin's `^\s+(\d):` misses them). DRBD 9 lists no minors here.
 */
const MINOR = /^\s*(\d+):\s+cs:(\S+)(.*)$/;
const KIB_COUNTERS: Record<string, keyof DrbdCounters> = {
  ns: 'networkSendBytes', nr: 'networkReceiveBytes', dw: 'diskWriteBytes', dr: 'diskReadBytes',
  oos: 'outOfSyncBytes',
};
const PLAIN_COUNTERS: Record<string, keyof DrbdCounters> = {
  al: 'activityLogUpdates', bm: 'bitmapUpdates', lo: 'localCount', pe: 'pending', ua: 'unacknowledged',
  ap: 'applicationPending', ep: 'epochs',
};

export function parseProcDrbd(text: string): DrbdProcStatus {
  const status: DrbdProcStatus = { resources: [] };
  let current: DrbdResource | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const head = /^version:\s+(\S+)\s+\(api:([^/]+)\/proto:([^)]+)\)/.exec(line);
    if (head) {
      status.version = head[1];
      status.api = head[2];
      status.proto = head[3];
      continue;
    }
    const git = /^GIT-hash:\s+(\S+)/.exec(line);
    if (git) { status.gitHash = git[1]; continue; }
    const src = /^srcversion:\s+(\S+)/.exec(line);
    if (src) { status.srcversion = src[1]; continue; }
    const m = MINOR.exec(line);
    if (m) {
      current = parseMinorLine(Number(m[1]), m[2]!, m[3]!);
      status.resources.push(current);
      continue;
    }
    if (current && /^\s+ns:/.test(line)) {
      const volume = current.volumes[0]!;
      volume.counters = parseCounters(line);
      continue;
    }
    // Resync progress, act_log/resync cache lines (8.0), transports (9): not modelled.
  }
  return status;
}

function parseMinorLine(minor: number, cs: string, rest: string): DrbdResource {
  const device = `/dev/drbd${minor}`;
  if (cs === 'Unconfigured') {
    return {
      role: 'Unknown', volumes: [{ volume: 0, minor, device, disk: 'Diskless' }],
      connections: [],
    };
  }
  const field = (k: string) => new RegExp(`(?:^|\\s)${k}:(\\S+)`).exec(rest)?.[1];
  const roles = field('ro') ?? field('st');
  const disks = field('ds');
  if (!roles || !disks) throw new DrbdParseError(`minor ${minor}: no ro:/st: or ds: field`);
  const [role, peerRole] = roles.split('/');
  const [disk, peerDisk] = disks.split('/');
  // After ds: come the protocol letter (absent on some StandAlone lines) and the I/O flags.
  const tail = rest.slice(rest.indexOf(`ds:${disks}`) + 3 + disks.length).trim().split(/\s+/).filter(Boolean);
  let protocol: string | undefined;
  let ioFlags: string | undefined;
  for (const t of tail) {
    if (/^[ABC]$/.test(t)) protocol = t;
    else if (/^[rs][-a-z]+$/.test(t)) ioFlags = t;
  }
  const connection = asConn(cs);
  const suspended = ioFlags ? ioFlags[0] === 's' : undefined;
  const standalone = cs === 'StandAlone' && peerRole === 'Unknown';
  return {
    role: asRole(role ?? ''),
    suspended,
    volumes: [{ volume: 0, minor, device, disk: asDisk(disk ?? ''), protocol, ioFlags, suspended }],
    connections: standalone
      ? []
      : [{
          connection,
          peerRole: asRole(peerRole ?? 'Unknown'),
          volumes: [{ volume: 0, peerDisk: asDisk(peerDisk ?? 'DUnknown'), replication: connection }],
        }],
  };
}

function parseCounters(line: string): DrbdCounters {
  const c: DrbdCounters = {};
  for (const [, k, v] of line.matchAll(/(\w+):(\S+)/g)) {
    if (k === undefined || v === undefined) continue;
    const kib = KIB_COUNTERS[k];
    const plain = PLAIN_COUNTERS[k];
    if (kib) (c as Record<string, number>)[kib] = Number(v) * 1024;
    else if (plain) (c as Record<string, number>)[plain] = Number(v);
    else if (k === 'wo') c.writeOrdering = v;
  }
  return c;
}

/** The state of one minor, if /proc/drbd lists it. */
export function procMinor(status: DrbdProcStatus, minor: number): DrbdResource | undefined {
  return status.resources.find((r) => r.volumes.some((v) => v.minor === minor));
}
