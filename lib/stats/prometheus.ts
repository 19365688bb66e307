/**
 * The snapshot as Prometheus metrics. Conventions: counters end in _total, data
 * in bytes (LIO counts whole MiB, DRBD KiB; both are converted), labels name
 * the object (target, tpg, lun, initiator, minor, resource, vg, lv).
 */
import { STATES } from '../ddmap/state.js';
import { Exposition, renderLabels } from './exposition.js';
import { LOGIN_FAILURE_REASONS } from './lio.js';
import type { StatsSnapshot } from './snapshot.js';

const DISCONNECTED = new Set(['StandAlone', 'Disconnecting', 'Unconnected', 'Timeout', 'BrokenPipe', 'NetworkFailure', 'ProtocolError', 'TearDown', 'WFConnection', 'WFReportParams', 'Off', 'Connecting']);

export function declareFamilies(e: Exposition): Exposition {
  return e
    .family('lioha_lio_loaded', 'gauge', 'Whether the LIO configfs tree is present (target_core_mod loaded)')
    .family('lioha_tpg_enabled', 'gauge', 'Whether the target portal group is enabled')
    .family('lioha_lun_read_bytes_total', 'counter', 'Bytes read through the LUN (LIO counts whole MiB)')
    .family('lioha_lun_written_bytes_total', 'counter', 'Bytes written through the LUN (LIO counts whole MiB)')
    .family('lioha_lun_commands_total', 'counter', 'SCSI commands received for the LUN')
    .family('lioha_initiator_lun_read_bytes_total', 'counter', 'Bytes read by the initiator through the mapped LUN (whole MiB)')
    .family('lioha_initiator_lun_written_bytes_total', 'counter', 'Bytes written by the initiator through the mapped LUN (whole MiB)')
    .family('lioha_initiator_lun_commands_total', 'counter', 'SCSI commands of the initiator on the mapped LUN')
    .family('lioha_iscsi_session_logged_in', 'gauge', 'Whether the initiator has a logged-in session on the TPG')
    .family('lioha_iscsi_session_connections', 'gauge', 'Connections of the initiator\'s session')
    .family('lioha_iscsi_session_command_pdus_total', 'counter', 'Command PDUs of the current session (resets at login)')
    .family('lioha_iscsi_session_response_pdus_total', 'counter', 'Response PDUs of the current session (resets at login)')
    .family('lioha_iscsi_session_received_bytes_total', 'counter', 'Data-Out bytes received from the initiator in the current session; immediate data in write commands is not counted by LIO (resets at login)')
    .family('lioha_iscsi_session_sent_bytes_total', 'counter', 'Data bytes sent to the initiator in the current session (resets at login)')
    .family('lioha_iscsi_session_digest_errors_total', 'counter', 'Digest errors on the current session\'s connections')
    .family('lioha_iscsi_session_timeout_errors_total', 'counter', 'Timeout errors on the current session\'s connections')
    .family('lioha_iscsi_target_sessions', 'gauge', 'Sessions the target has (iscsi_instance/sessions)')
    .family('lioha_iscsi_logins_total', 'counter', 'Accepted and redirected logins')
    .family('lioha_iscsi_login_failures_total', 'counter', 'Failed logins by reason (authenticate, authorize, negotiate, other)')
    .family('lioha_iscsi_logouts_total', 'counter', 'Logouts, normal or abnormal')
    .family('lioha_iscsi_session_errors_total', 'counter', 'Session errors by kind (digest, connection, format)')
    .family('lioha_iscsi_failed_sessions_total', 'counter', 'Sessions that failed (iscsi_instance/fail_sess)')
    .family('lioha_backstore_read_bytes_total', 'counter', 'Bytes read from the storage object by all LUNs (whole MiB)')
    .family('lioha_backstore_written_bytes_total', 'counter', 'Bytes written to the storage object by all LUNs (whole MiB)')
    .family('lioha_backstore_commands_total', 'counter', 'SCSI commands on the storage object')
    .family('lioha_drbd_loaded', 'gauge', 'Whether /proc/drbd exists (drbd module loaded)')
    .family('lioha_drbd_state_info', 'info', 'DRBD device state: role, peer role, disk, peer disk, connection')
    .family('lioha_drbd_primary', 'gauge', 'Whether the local role is Primary')
    .family('lioha_drbd_connected', 'gauge', 'Whether the replication link is up (Connected or a sync state)')
    .family('lioha_drbd_disk_up_to_date', 'gauge', 'Whether the local disk is UpToDate')
    .family('lioha_drbd_peer_disk_up_to_date', 'gauge', 'Whether the peer disk is UpToDate')
    .family('lioha_drbd_network_sent_bytes_total', 'counter', 'Bytes sent to the peer (ns)')
    .family('lioha_drbd_network_received_bytes_total', 'counter', 'Bytes received from the peer (nr)')
    .family('lioha_drbd_disk_written_bytes_total', 'counter', 'Bytes written to the local disk (dw)')
    .family('lioha_drbd_disk_read_bytes_total', 'counter', 'Bytes read from the local disk (dr)')
    .family('lioha_drbd_activity_log_updates_total', 'counter', 'Activity log updates (al)')
    .family('lioha_drbd_bitmap_updates_total', 'counter', 'Bitmap updates (bm)')
    .family('lioha_drbd_local_pending_requests', 'gauge', 'Open requests to the local disk (lo)')
    .family('lioha_drbd_pending_requests', 'gauge', 'Requests sent to the peer, not yet answered (pe)')
    .family('lioha_drbd_unacknowledged_requests', 'gauge', 'Requests received from the peer, not yet acknowledged (ua)')
    .family('lioha_drbd_application_pending_requests', 'gauge', 'Block I/O requests passed to DRBD, not yet completed (ap)')
    .family('lioha_drbd_epochs', 'gauge', 'Epoch objects (ep)')
    .family('lioha_drbd_out_of_sync_bytes', 'gauge', 'Data out of sync with the peer (oos)')
    .family('lioha_drbd_resync_remaining_bytes', 'gauge', 'Data left to resynchronise')
    .family('lioha_drbd_resync_done_ratio', 'gauge', 'Resync progress, 0 to 1')
    .family('lioha_drbd_resync_eta_seconds', 'gauge', 'DRBD\'s estimate of the time left to resync')
    .family('lioha_ddmap_state', 'gauge', 'ddmap state of the LUN (1 for the current state)')
    .family('lioha_group_node', 'info', 'Node a Pacemaker group runs on (1), from crm_mon')
    .family('lioha_scrape_duration_seconds', 'gauge', 'Time the scrape took');
}

const b = (x: boolean) => (x ? 1 : 0);

export function toPrometheus(s: StatsSnapshot, durationSeconds?: number): string {
  const e = declareFamilies(new Exposition());
  e.sample('lioha_lio_loaded', {}, b(s.lio.loaded));
  for (const t of s.lio.targets) {
    const target = t.wwn;
    for (const tpg of t.tpgs) {
      const tl = { target, tpg: tpg.tag };
      e.sample('lioha_tpg_enabled', tl, b(tpg.enabled));
      for (const l of tpg.luns) {
        const ll = renderLabels({ ...tl, lun: l.index, backstore: l.backstore ?? '', device: l.device ?? '' });
        e.sample('lioha_lun_read_bytes_total', ll, l.readBytes);
        e.sample('lioha_lun_written_bytes_total', ll, l.writeBytes);
        e.sample('lioha_lun_commands_total', ll, l.commands);
      }
      for (const a of tpg.acls) {
        const alo = { ...tl, initiator: a.initiator };
        const al = renderLabels(alo);
        for (const m of a.mappedLuns) {
          const ml = renderLabels({ ...alo, mapped_lun: m.index, lun: m.tpgLun });
          e.sample('lioha_initiator_lun_read_bytes_total', ml, m.readBytes);
          e.sample('lioha_initiator_lun_written_bytes_total', ml, m.writeBytes);
          e.sample('lioha_initiator_lun_commands_total', ml, m.commands);
        }
        e.sample('lioha_iscsi_session_logged_in', al, b(!!a.session));
        if (a.session) {
          e.sample('lioha_iscsi_session_connections', al, a.session.connections.length);
          const c = a.sessionCounters;
          e.sample('lioha_iscsi_session_command_pdus_total', al, c.commandPdus);
          e.sample('lioha_iscsi_session_response_pdus_total', al, c.responsePdus);
          e.sample('lioha_iscsi_session_received_bytes_total', al, c.rxBytes);
          e.sample('lioha_iscsi_session_sent_bytes_total', al, c.txBytes);
          e.sample('lioha_iscsi_session_digest_errors_total', al, c.digestErrors);
          e.sample('lioha_iscsi_session_timeout_errors_total', al, c.timeoutErrors);
        }
      }
      for (const ini of tpg.dynamicSessions) {
        if (tpg.acls.some((a) => a.initiator === ini)) continue;
        e.sample('lioha_iscsi_session_logged_in', { ...tl, initiator: ini }, 1);
      }
    }
    const f = t.fabric;
    e.sample('lioha_iscsi_target_sessions', { target }, f.sessions);
    e.sample('lioha_iscsi_logins_total', { target, result: 'accepted' }, f.loginAccepts);
    e.sample('lioha_iscsi_logins_total', { target, result: 'redirected' }, f.loginRedirects);
    for (const r of LOGIN_FAILURE_REASONS) e.sample('lioha_iscsi_login_failures_total', { target, reason: r }, f.loginFailures[r]);
    e.sample('lioha_iscsi_logouts_total', { target, kind: 'normal' }, f.normalLogouts);
    e.sample('lioha_iscsi_logouts_total', { target, kind: 'abnormal' }, f.abnormalLogouts);
    e.sample('lioha_iscsi_session_errors_total', { target, kind: 'digest' }, f.digestErrors);
    e.sample('lioha_iscsi_session_errors_total', { target, kind: 'connection' }, f.connectionErrors);
    e.sample('lioha_iscsi_session_errors_total', { target, kind: 'format' }, f.formatErrors);
    e.sample('lioha_iscsi_failed_sessions_total', { target }, f.failedSessions);
  }
  for (const bs of s.lio.backstores) {
    const l = { backstore: bs.backstore, device: bs.device ?? '' };
    e.sample('lioha_backstore_read_bytes_total', l, bs.readBytes);
    e.sample('lioha_backstore_written_bytes_total', l, bs.writeBytes);
    e.sample('lioha_backstore_commands_total', l, bs.commands);
  }
  e.sample('lioha_drbd_loaded', {}, b(s.drbd.loaded));
  for (const d of s.drbd.devices) {
    const l = { minor: d.minor, resource: d.resource ?? '' };
    e.sample('lioha_drbd_state_info', {
      ...l, role: d.role, peer_role: d.peerRole ?? 'Unknown', disk: d.disk, peer_disk: d.peerDisk ?? 'DUnknown', connection: d.connection ?? 'StandAlone',
    }, 1);
    e.sample('lioha_drbd_primary', l, b(d.role === 'Primary'));
    e.sample('lioha_drbd_connected', l, b(!!d.connection && !DISCONNECTED.has(d.connection)));
    e.sample('lioha_drbd_disk_up_to_date', l, b(d.disk === 'UpToDate'));
    e.sample('lioha_drbd_peer_disk_up_to_date', l, b(d.peerDisk === 'UpToDate'));
    const c = d.counters;
    e.sample('lioha_drbd_network_sent_bytes_total', l, c.networkSendBytes);
    e.sample('lioha_drbd_network_received_bytes_total', l, c.networkReceiveBytes);
    e.sample('lioha_drbd_disk_written_bytes_total', l, c.diskWriteBytes);
    e.sample('lioha_drbd_disk_read_bytes_total', l, c.diskReadBytes);
    e.sample('lioha_drbd_activity_log_updates_total', l, c.activityLogUpdates);
    e.sample('lioha_drbd_bitmap_updates_total', l, c.bitmapUpdates);
    e.sample('lioha_drbd_local_pending_requests', l, c.localCount);
    e.sample('lioha_drbd_pending_requests', l, c.pending);
    e.sample('lioha_drbd_unacknowledged_requests', l, c.unacknowledged);
    e.sample('lioha_drbd_application_pending_requests', l, c.applicationPending);
    e.sample('lioha_drbd_epochs', l, c.epochs);
    e.sample('lioha_drbd_out_of_sync_bytes', l, c.outOfSyncBytes);
    if (d.resync) {
      e.sample('lioha_drbd_resync_remaining_bytes', l, d.resync.remainingBytes);
      e.sample('lioha_drbd_resync_done_ratio', l, d.resync.percent / 100);
      e.sample('lioha_drbd_resync_eta_seconds', l, d.resync.etaSeconds);
    }
  }
  for (const dm of s.ddmap) {
    for (const st of STATES) e.sample('lioha_ddmap_state', { vg: dm.vg, lv: dm.lv, state: st }, b(dm.state === st));
  }
  for (const g of s.groups ?? []) {
    if (g.node) e.sample('lioha_group_node', { group: g.group, node: g.node }, 1);
  }
  if (durationSeconds !== undefined) e.sample('lioha_scrape_duration_seconds', {}, Number(durationSeconds.toFixed(6)));
  return e.text();
}
