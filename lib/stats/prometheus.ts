/**
 * The snapshot as Prometheus metrics. Conventions: counters end in _total, data
 * in bytes (LIO counts whole MiB, DRBD KiB; both are converted), labels name
 * the object (target, tpg, lun, initiator, minor, resource, vg, lv).
 *
 * Every family is written once, in the table of the object it describes: its
 * name, type, help and how to get its value. Output order is the tables' order.
 */
import { STATES, type DdmapState } from '../ddmap/state.js';
import type { DdmapLunState } from './ddmap-states.js';
import type { DrbdDevice } from './drbd.js';
import { appendPairs, Exposition, extendLabels, renderLabels, type Family, type LabelText, type Labels, type MetricType } from './exposition.js';
import { LOGIN_FAILURE_REASONS, type LioAcl, type LioTarget, type LioTpg, type LunIo } from './lio.js';
import type { GroupPlacement, StatsSnapshot } from './snapshot.js';

type Value<T> = (x: T) => number | undefined;

interface FamilyDef<T> {
  name: string;
  type: MetricType;
  help: string;
  /** One sample per object... */
  value?: Value<T>;
  /** ...or one per value of a label (label name, then value -> extractor). */
  by?: { label: string; values: readonly (readonly [string, Value<T>])[] };
  /** Labels beyond the object's (the state of an info metric). */
  info?: (x: T) => Labels;
}

const fam = <T>(name: string, type: MetricType, help: string, value: Value<T>): FamilyDef<T> => ({ name, type, help, value });
const by = <T>(name: string, type: MetricType, help: string, label: string, values: readonly (readonly [string, Value<T>])[]): FamilyDef<T> =>
  ({ name, type, help, by: { label, values } });
const b = (x: boolean) => (x ? 1 : 0);

/** Read bytes, written bytes and commands of a LUN, a mapped LUN or a storage object. */
const ioFamilies = <T extends LunIo>(prefix: string, help: { read: string; written: string; commands: string }): FamilyDef<T>[] => [
  fam<T>(`${prefix}_read_bytes_total`, 'counter', help.read, (x) => x.readBytes),
  fam<T>(`${prefix}_written_bytes_total`, 'counter', help.written, (x) => x.writeBytes),
  fam<T>(`${prefix}_commands_total`, 'counter', help.commands, (x) => x.commands),
];

const LIO = [fam<boolean>('lioha_lio_loaded', 'gauge', 'Whether the LIO configfs tree is present (target_core_mod loaded)', b)];
const TPG = [fam<LioTpg>('lioha_tpg_enabled', 'gauge', 'Whether the target portal group is enabled', (t) => b(t.enabled))];
const LUN = ioFamilies('lioha_lun', {
  read: 'Bytes read through the LUN (LIO counts whole MiB)',
  written: 'Bytes written through the LUN (LIO counts whole MiB)',
  commands: 'SCSI commands received for the LUN',
});
const MAPPED_LUN = ioFamilies('lioha_initiator_lun', {
  read: 'Bytes read by the initiator through the mapped LUN (whole MiB)',
  written: 'Bytes written by the initiator through the mapped LUN (whole MiB)',
  commands: 'SCSI commands of the initiator on the mapped LUN',
});
/** An initiator known to the TPG: an ACL, or a session without one (generate_node_acls). */
const INITIATOR = [fam<LioAcl | undefined>('lioha_iscsi_session_logged_in', 'gauge', 'Whether the initiator has a logged-in session on the TPG', (a) => b(!a || !!a.session))];
/** An ACL with a logged-in session. */
const SESSION: FamilyDef<LioAcl>[] = [
  fam('lioha_iscsi_session_connections', 'gauge', 'Connections of the initiator\'s session', (a) => a.session!.connections.length),
  fam('lioha_iscsi_session_command_pdus_total', 'counter', 'Command PDUs of the current session (resets at login)', (a) => a.sessionCounters.commandPdus),
  fam('lioha_iscsi_session_response_pdus_total', 'counter', 'Response PDUs of the current session (resets at login)', (a) => a.sessionCounters.responsePdus),
  fam('lioha_iscsi_session_received_bytes_total', 'counter', 'Data-Out bytes received from the initiator in the current session; immediate data in write commands is not counted by LIO (resets at login)', (a) => a.sessionCounters.rxBytes),
  fam('lioha_iscsi_session_sent_bytes_total', 'counter', 'Data bytes sent to the initiator in the current session (resets at login)', (a) => a.sessionCounters.txBytes),
  fam('lioha_iscsi_session_digest_errors_total', 'counter', 'Digest errors on the current session\'s connections', (a) => a.sessionCounters.digestErrors),
  fam('lioha_iscsi_session_timeout_errors_total', 'counter', 'Timeout errors on the current session\'s connections', (a) => a.sessionCounters.timeoutErrors),
];
const TARGET: FamilyDef<LioTarget>[] = [
  fam('lioha_iscsi_target_sessions', 'gauge', 'Sessions the target has (iscsi_instance/sessions)', (t) => t.fabric.sessions),
  by('lioha_iscsi_logins_total', 'counter', 'Accepted and redirected logins', 'result', [['accepted', (t) => t.fabric.loginAccepts], ['redirected', (t) => t.fabric.loginRedirects]]),
  by('lioha_iscsi_login_failures_total', 'counter', 'Failed logins by reason (authenticate, authorize, negotiate, other)', 'reason',
    LOGIN_FAILURE_REASONS.map((r) => [r, (t: LioTarget) => t.fabric.loginFailures[r]] as const)),
  by('lioha_iscsi_logouts_total', 'counter', 'Logouts, normal or abnormal', 'kind', [['normal', (t) => t.fabric.normalLogouts], ['abnormal', (t) => t.fabric.abnormalLogouts]]),
  by('lioha_iscsi_session_errors_total', 'counter', 'Session errors by kind (digest, connection, format)', 'kind',
    [['digest', (t) => t.fabric.digestErrors], ['connection', (t) => t.fabric.connectionErrors], ['format', (t) => t.fabric.formatErrors]]),
  fam('lioha_iscsi_failed_sessions_total', 'counter', 'Sessions that failed (iscsi_instance/fail_sess)', (t) => t.fabric.failedSessions),
];
const BACKSTORE = ioFamilies('lioha_backstore', {
  read: 'Bytes read from the storage object by all LUNs (whole MiB)',
  written: 'Bytes written to the storage object by all LUNs (whole MiB)',
  commands: 'SCSI commands on the storage object',
});

const DISCONNECTED = new Set(['StandAlone', 'Disconnecting', 'Unconnected', 'Timeout', 'BrokenPipe', 'NetworkFailure', 'ProtocolError', 'TearDown', 'WFConnection', 'WFReportParams', 'Off', 'Connecting']);
const DRBD_LOADED = [fam<boolean>('lioha_drbd_loaded', 'gauge', 'Whether /proc/drbd exists (drbd module loaded)', b)];
const DRBD: FamilyDef<DrbdDevice>[] = [
  {
    name: 'lioha_drbd_state_info', type: 'info', help: 'DRBD device state: role, peer role, disk, peer disk, connection', value: () => 1,
    info: (d) => ({ role: d.role, peer_role: d.peerRole ?? 'Unknown', disk: d.disk, peer_disk: d.peerDisk ?? 'DUnknown', connection: d.connection ?? 'StandAlone' }),
  },
  fam('lioha_drbd_primary', 'gauge', 'Whether the local role is Primary', (d) => b(d.role === 'Primary')),
  fam('lioha_drbd_connected', 'gauge', 'Whether the replication link is up (Connected or a sync state)', (d) => b(!!d.connection && !DISCONNECTED.has(d.connection))),
  fam('lioha_drbd_disk_up_to_date', 'gauge', 'Whether the local disk is UpToDate', (d) => b(d.disk === 'UpToDate')),
  fam('lioha_drbd_peer_disk_up_to_date', 'gauge', 'Whether the peer disk is UpToDate', (d) => b(d.peerDisk === 'UpToDate')),
  fam('lioha_drbd_network_sent_bytes_total', 'counter', 'Bytes sent to the peer (ns)', (d) => d.counters.networkSendBytes),
  fam('lioha_drbd_network_received_bytes_total', 'counter', 'Bytes received from the peer (nr)', (d) => d.counters.networkReceiveBytes),
  fam('lioha_drbd_disk_written_bytes_total', 'counter', 'Bytes written to the local disk (dw)', (d) => d.counters.diskWriteBytes),
  fam('lioha_drbd_disk_read_bytes_total', 'counter', 'Bytes read from the local disk (dr)', (d) => d.counters.diskReadBytes),
  fam('lioha_drbd_activity_log_updates_total', 'counter', 'Activity log updates (al)', (d) => d.counters.activityLogUpdates),
  fam('lioha_drbd_bitmap_updates_total', 'counter', 'Bitmap updates (bm)', (d) => d.counters.bitmapUpdates),
  fam('lioha_drbd_local_pending_requests', 'gauge', 'Open requests to the local disk (lo)', (d) => d.counters.localCount),
  fam('lioha_drbd_pending_requests', 'gauge', 'Requests sent to the peer, not yet answered (pe)', (d) => d.counters.pending),
  fam('lioha_drbd_unacknowledged_requests', 'gauge', 'Requests received from the peer, not yet acknowledged (ua)', (d) => d.counters.unacknowledged),
  fam('lioha_drbd_application_pending_requests', 'gauge', 'Block I/O requests passed to DRBD, not yet completed (ap)', (d) => d.counters.applicationPending),
  fam('lioha_drbd_epochs', 'gauge', 'Epoch objects (ep)', (d) => d.counters.epochs),
  fam('lioha_drbd_out_of_sync_bytes', 'gauge', 'Data out of sync with the peer (oos)', (d) => d.counters.outOfSyncBytes),
  fam('lioha_drbd_resync_remaining_bytes', 'gauge', 'Data left to resynchronise', (d) => d.resync?.remainingBytes),
  fam('lioha_drbd_resync_done_ratio', 'gauge', 'Resync progress, 0 to 1', (d) => (d.resync ? d.resync.percent / 100 : undefined)),
  fam('lioha_drbd_resync_eta_seconds', 'gauge', 'DRBD\'s estimate of the time left to resync', (d) => d.resync?.etaSeconds),
];
const DDMAP = [by<DdmapLunState>('lioha_ddmap_state', 'gauge', 'ddmap state of the LUN (1 for the current state)', 'state',
  STATES.map((st: DdmapState) => [st, (dm: DdmapLunState) => b(dm.state === st)] as const))];
const GROUP = [fam<GroupPlacement>('lioha_group_node', 'info', 'Node a Pacemaker group runs on (1), from crm_mon', () => 1)];
const SCRAPE = [fam<number>('lioha_scrape_duration_seconds', 'gauge', 'Time the scrape took', (s) => Number(s.toFixed(6)))];

/** Every family, in output order. */
const ALL: readonly FamilyDef<never>[] = [
  LIO, TPG, LUN, MAPPED_LUN, INITIATOR, SESSION, TARGET, BACKSTORE, DRBD_LOADED, DRBD, DDMAP, GROUP, SCRAPE,
].flat() as FamilyDef<never>[];

/** The names of every metric lioha exports. */
export const METRIC_NAMES: readonly string[] = ALL.map((f) => f.name);

/** A family definition bound to its family of one exposition: renders one object's samples. */
type Emit<T> = (labels: LabelText, x: T) => void;

function emitter<T>(e: Exposition, f: FamilyDef<T>): Emit<T> {
  const fam: Family = e.get(f.name);
  if (f.by) {
    const parts = f.by.values.map(([v, get]) => [renderLabels({ [f.by!.label]: v }).slice(1, -1), get] as const);
    return (labels, x) => {
      for (let i = 0; i < parts.length; i++) fam.add(appendPairs(labels, parts[i]![0]), parts[i]![1](x));
    };
  }
  const value = f.value!;
  const info = f.info;
  if (info) return (labels, x) => fam.add(extendLabels(labels, info(x)), value(x));
  return (labels, x) => fam.add(labels, value(x));
}

/** The emitters of a table, called in order for one object. */
function emitters<T>(e: Exposition, defs: readonly FamilyDef<T>[]): Emit<T> {
  const all = defs.map((f) => emitter(e, f));
  return (labels, x) => {
    for (let i = 0; i < all.length; i++) all[i]!(labels, x);
  };
}

export function toPrometheus(s: StatsSnapshot, durationSeconds?: number): string {
  const e = new Exposition();
  for (const f of ALL) e.family(f.name, f.type, f.help);
  const lio = emitters(e, LIO), tpgE = emitters(e, TPG), lun = emitters(e, LUN), mapped = emitters(e, MAPPED_LUN);
  const initiator = emitters(e, INITIATOR), session = emitters(e, SESSION), target = emitters(e, TARGET), backstore = emitters(e, BACKSTORE);
  lio('', s.lio.loaded);
  for (const t of s.lio.targets) {
    for (const tpg of t.tpgs) {
      const tl = renderLabels({ target: t.wwn, tpg: tpg.tag });
      tpgE(tl, tpg);
      for (const l of tpg.luns) lun(extendLabels(tl, { lun: l.index, backstore: l.backstore ?? '', device: l.device ?? '' }), l);
      for (const a of tpg.acls) {
        const al = extendLabels(tl, { initiator: a.initiator });
        // 1,024 mapped LUNs on a 32 x 32 target: numbers need no escaping, the pairs are written directly.
        const prefix = `${al.slice(0, -1)},mapped_lun="`;
        for (const m of a.mappedLuns) mapped(`${prefix}${m.index}",lun="${m.tpgLun}"}`, m);
        initiator(al, a);
        if (a.session) session(al, a);
      }
      for (const ini of tpg.dynamicSessions) {
        if (!tpg.acls.some((a) => a.initiator === ini)) initiator(extendLabels(tl, { initiator: ini }), undefined);
      }
    }
    target(renderLabels({ target: t.wwn }), t);
  }
  for (const bs of s.lio.backstores) backstore(renderLabels({ backstore: bs.backstore, device: bs.device ?? '' }), bs);
  emitters(e, DRBD_LOADED)('', s.drbd.loaded);
  const drbd = emitters(e, DRBD);
  for (const d of s.drbd.devices) drbd(renderLabels({ minor: d.minor, resource: d.resource ?? '' }), d);
  const ddmap = emitters(e, DDMAP);
  for (const dm of s.ddmap) ddmap(renderLabels({ vg: dm.vg, lv: dm.lv }), dm);
  const group = emitters(e, GROUP);
  for (const g of s.groups ?? []) if (g.node) group(renderLabels({ group: g.group, node: g.node }), g);
  if (durationSeconds !== undefined) emitters(e, SCRAPE)('', durationSeconds);
  return e.text();
}
