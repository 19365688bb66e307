/**
 * The Grafana dashboard shipped in the packages (packaging/grafana/lioha.json),
 * built here so every panel query names metrics `lioha stats` really exports
 * (test/stats/grafana.test.ts checks that). Regenerate with
 * `npx tsx scripts/grafana-dashboard.ts`.
 */
type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

interface PanelSpec {
  title: string;
  type: 'timeseries' | 'state-timeline' | 'stat' | 'table';
  unit?: string;
  description: string;
  targets: { expr: string; legend: string; instant?: boolean }[];
  w: number;
  h: number;
}

const DS = { type: 'prometheus', uid: '${datasource}' };
const SEL = 'instance=~"$instance"';

const PANELS: (PanelSpec | { row: string })[] = [
  { row: 'Where it runs' },
  {
    title: 'Group placement (failovers over time)', type: 'state-timeline', w: 16, h: 6,
    description: 'Which node runs each Pacemaker group (lioha_group_node, from lioha stats --cluster). A colour change is a failover or switchover.',
    targets: [{ expr: `max by (group, node) (lioha_group_node{${SEL}})`, legend: '{{group}} on {{node}}' }],
  },
  {
    title: 'Nodes that ran each group in the range', type: 'stat', w: 8, h: 6,
    description: 'More than 1: the group moved in the selected time range.',
    targets: [{ expr: `count by (group) (max by (group, node) (max_over_time(lioha_group_node{${SEL}}[$__range])))`, legend: '{{group}}', instant: true }],
  },
  { row: 'LUNs' },
  {
    title: 'Throughput per LUN', type: 'timeseries', unit: 'Bps', w: 12, h: 8,
    description: 'Read (+) and write (-) bytes per second through each TPG LUN (LIO counts whole MiB: use rates over minutes).',
    targets: [
      { expr: `sum by (target, lun) (rate(lioha_lun_read_bytes_total{${SEL}}[$__rate_interval]))`, legend: '{{target}} lun {{lun}} read' },
      { expr: `-sum by (target, lun) (rate(lioha_lun_written_bytes_total{${SEL}}[$__rate_interval]))`, legend: '{{target}} lun {{lun}} write' },
    ],
  },
  {
    title: 'IOPS per LUN', type: 'timeseries', unit: 'iops', w: 12, h: 8,
    description: 'SCSI commands per second per TPG LUN.',
    targets: [{ expr: `sum by (target, lun) (rate(lioha_lun_commands_total{${SEL}}[$__rate_interval]))`, legend: '{{target}} lun {{lun}}' }],
  },
  { row: 'Initiators' },
  {
    title: 'Throughput per initiator', type: 'timeseries', unit: 'Bps', w: 12, h: 8,
    description: 'Read (+) and write (-) bytes per second per initiator, all its mapped LUNs.',
    targets: [
      { expr: `sum by (initiator) (rate(lioha_initiator_lun_read_bytes_total{${SEL}}[$__rate_interval]))`, legend: '{{initiator}} read' },
      { expr: `-sum by (initiator) (rate(lioha_initiator_lun_written_bytes_total{${SEL}}[$__rate_interval]))`, legend: '{{initiator}} write' },
    ],
  },
  {
    title: 'IOPS per initiator', type: 'timeseries', unit: 'iops', w: 12, h: 8,
    description: 'SCSI commands per second per initiator.',
    targets: [{ expr: `sum by (initiator) (rate(lioha_initiator_lun_commands_total{${SEL}}[$__rate_interval]))`, legend: '{{initiator}}' }],
  },
  {
    title: 'Logged-in sessions', type: 'timeseries', unit: 'short', w: 12, h: 7,
    description: 'Sessions per target and the connections of each initiator\'s session.',
    targets: [
      { expr: `sum by (target) (lioha_iscsi_session_logged_in{${SEL}})`, legend: '{{target}} sessions' },
      { expr: `sum by (initiator) (lioha_iscsi_session_connections{${SEL}})`, legend: '{{initiator}} connections' },
    ],
  },
  {
    title: 'Login failures', type: 'timeseries', unit: 'short', w: 12, h: 7,
    description: 'Failed logins per reason (authenticate: CHAP, authorize: no ACL, negotiate, other) in each interval.',
    targets: [
      { expr: `sum by (target, reason) (increase(lioha_iscsi_login_failures_total{${SEL}}[$__rate_interval]))`, legend: '{{target}} {{reason}}' },
      { expr: `sum by (target, kind) (increase(lioha_iscsi_logouts_total{${SEL}, kind="abnormal"}[$__rate_interval]))`, legend: '{{target}} abnormal logouts' },
    ],
  },
  { row: 'DRBD' },
  {
    title: 'Replication lag', type: 'timeseries', unit: 'bytes', w: 12, h: 8,
    description: 'Out-of-sync data, and requests sent to the peer but not answered (pending) or received and not acknowledged.',
    targets: [
      { expr: `lioha_drbd_out_of_sync_bytes{${SEL}}`, legend: '{{resource}} out of sync' },
      { expr: `lioha_drbd_pending_requests{${SEL}}`, legend: '{{resource}} pending requests' },
      { expr: `lioha_drbd_unacknowledged_requests{${SEL}}`, legend: '{{resource}} unacknowledged requests' },
    ],
  },
  {
    title: 'Replication and disk traffic', type: 'timeseries', unit: 'Bps', w: 12, h: 8,
    description: 'Bytes per second sent to and received from the peer, and written to the local disk.',
    targets: [
      { expr: `rate(lioha_drbd_network_sent_bytes_total{${SEL}}[$__rate_interval])`, legend: '{{instance}} {{resource}} sent' },
      { expr: `rate(lioha_drbd_network_received_bytes_total{${SEL}}[$__rate_interval])`, legend: '{{instance}} {{resource}} received' },
      { expr: `rate(lioha_drbd_disk_written_bytes_total{${SEL}}[$__rate_interval])`, legend: '{{instance}} {{resource}} disk write' },
    ],
  },
  {
    title: 'Resync', type: 'timeseries', unit: 'percentunit', w: 12, h: 7,
    description: 'Resync progress (0 to 1) while a resync runs.',
    targets: [{ expr: `lioha_drbd_resync_done_ratio{${SEL}}`, legend: '{{instance}} {{resource}}' }],
  },
  {
    title: 'DRBD state', type: 'table', w: 12, h: 7,
    description: 'Role, disk and connection state of every DRBD device on every node.',
    targets: [{ expr: `lioha_drbd_state_info{${SEL}} == 1`, legend: '', instant: true }],
  },
  { row: 'ddmap' },
  {
    title: 'ddmap state per LUN', type: 'table', w: 24, h: 6,
    description: 'Change-map state of each LUN (DIRTY: the next backup reads the whole volume).',
    targets: [{ expr: `lioha_ddmap_state{${SEL}} == 1`, legend: '', instant: true }],
  },
];

export function dashboard(): Json {
  let id = 1;
  let y = 0;
  let x = 0;
  let rowH = 0;
  const panels: Json[] = [];
  for (const p of PANELS) {
    if ('row' in p) {
      if (x) { y += rowH; x = 0; rowH = 0; }
      panels.push({ id: id++, type: 'row', title: p.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    if (x + p.w > 24) { y += rowH; x = 0; rowH = 0; }
    panels.push({
      id: id++,
      type: p.type,
      title: p.title,
      description: p.description,
      datasource: DS,
      gridPos: { h: p.h, w: p.w, x, y },
      fieldConfig: { defaults: p.unit ? { unit: p.unit } : {}, overrides: [] },
      options: p.type === 'timeseries' ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } } : {},
      targets: p.targets.map((t, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource: DS,
        expr: t.expr,
        legendFormat: t.legend,
        ...(t.instant ? { instant: true, range: false, format: p.type === 'table' ? 'table' : 'time_series' } : { range: true }),
      })),
    });
    x += p.w;
    rowH = Math.max(rowH, p.h);
  }
  return {
    __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    uid: 'lioha-overview',
    title: 'lioha: HA iSCSI target (LIO, DRBD)',
    description: 'Metrics of lioha stats (node_exporter textfile collector or lioha stats --serve).',
    tags: ['lioha', 'iscsi', 'lio', 'drbd'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    annotations: { list: [] },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'instance', label: 'Node', type: 'query', datasource: DS,
          query: { query: 'label_values(lioha_lio_loaded, instance)', refId: 'instance' },
          definition: 'label_values(lioha_lio_loaded, instance)',
          includeAll: true, multi: true, allValue: '.*', current: {}, refresh: 2, sort: 1, hide: 0,
        },
      ],
    },
    panels,
  };
}
