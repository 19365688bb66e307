import { defineAgent } from '../../lib/definition.js';

/**
 * ocf:lioha:vg — an LVM volume group whose physical volumes are DRBD devices.
 * Kept free of imports beyond defineAgent: the build imports it to generate meta-data.
 */
export const definition = defineAgent({
  name: 'vg',
  version: '1.0',
  shortdesc: 'LVM volume group on DRBD, activated exclusively on the DRBD Primary',
  longdesc:
    'Activates an LVM volume group whose physical volumes are DRBD devices, on the node where DRBD is ' +
    'Primary, and mounts an optional metadata filesystem (for example lv_iscsi_target on ' +
    '/mnt/iscsi-target/<vgname>) that carries per-VG state across failover. Start refuses to activate ' +
    'on a Secondary (and on a disk that is not UpToDate unless require_uptodate=false). Activation is ' +
    'exclusive, by LVM system ID or by tag, like ocf:heartbeat:LVM-activate. Every LVM command runs with ' +
    'a device filter that accepts only /dev/drbd* (plus extra_devices), so the DRBD backing disks are ' +
    'never scanned and stale copies of the PV are never picked up. Stop interrupts lioha backups reading ' +
    'the VG (SIGTERM, SIGKILL after at most 5 s; they resume on the new primary), unmounts, deactivates every LV ' +
    'and verifies that no device-mapper device of the VG is left; when something still holds an LV open ' +
    '(LIO, a mount, a process) stop fails and names it. Monitor returns 7 (not running) when the VG is ' +
    'inactive, and at OCF_CHECK_LEVEL=10 reads one block from an LV with O_DIRECT.',
  parameters: [
    {
      name: 'vgname',
      type: 'string',
      required: true,
      uniqueGroup: 'vgname',
      shortdesc: 'Volume group name',
      longdesc: 'Name of the LVM volume group to activate, for example vg1 or vg_dsk_0.',
    },
    {
      name: 'drbd_resource',
      type: 'string',
      shortdesc: 'DRBD resource backing the volume group',
      longdesc:
        'Name of the DRBD resource whose device(s) are the physical volumes of the VG, as in drbd.conf ' +
        '(for example r0). When empty, it is derived from the VG: its PVs are mapped to /dev/drbdN ' +
        'minors and those to their resources. Every resource found must be Primary before activation.',
    },
    {
      name: 'require_uptodate',
      type: 'boolean',
      default: true,
      shortdesc: 'Require the local DRBD disk to be UpToDate',
      longdesc:
        'When true, start refuses unless the local disk state of every backing DRBD volume is UpToDate ' +
        '(a Primary on a Consistent/Outdated/Inconsistent/Diskless disk is refused), and monitor reports ' +
        'DEGRADED (190) while the local disk is not UpToDate (e.g. detached after an I/O error, I/O served ' +
        'by the peer; DRBD 8.x, read from /proc/drbd). When false, any Primary is accepted.',
    },
    {
      name: 'vg_access_mode',
      type: 'select',
      options: ['system_id', 'tagging'],
      default: 'system_id',
      shortdesc: 'How exclusive activation is enforced',
      longdesc:
        'system_id: start puts this host\'s LVM system ID on the VG (taking it over from the previous ' +
        'owner via local/extra_system_ids), so no other host activates it; lvm.conf must set ' +
        'global/system_id_source. tagging: start sets the tag parameter on the VG (stripping other ' +
        'owner tags) and activates with activation/volume_list=["@<tag>"]; lvm.conf must set a ' +
        'volume_list that does not include the tag or the VG. Stop deactivates; in tagging mode it also ' +
        'removes the tag.',
    },
    {
      name: 'tag',
      type: 'string',
      default: 'pacemaker',
      shortdesc: 'Ownership tag for vg_access_mode=tagging',
      longdesc: 'The LVM tag that marks the VG as owned by the cluster when vg_access_mode=tagging.',
    },
    {
      name: 'metadata_lv',
      type: 'string',
      shortdesc: 'Logical volume holding the per-VG metadata filesystem',
      longdesc:
        'Name (within vgname) of an LV with a filesystem to mount after activation, for example ' +
        'lv_iscsi_target. It carries per-VG state (target configuration, change maps) so that it moves ' +
        'with the VG. Empty: nothing is mounted.',
    },
    {
      name: 'mount_point',
      type: 'string',
      shortdesc: 'Mount point of the metadata filesystem',
      longdesc:
        'Directory where metadata_lv is mounted; created when missing. Empty means ' +
        '/mnt/iscsi-target/<vgname>.',
    },
    {
      name: 'fstype',
      type: 'string',
      default: 'ext4',
      shortdesc: 'Filesystem type of metadata_lv',
      longdesc: 'Filesystem type passed to mount -t and checked by monitor against /proc/self/mounts.',
    },
    {
      name: 'mount_options',
      type: 'string',
      shortdesc: 'Mount options for metadata_lv',
      longdesc: 'Options passed to mount -o for metadata_lv, for example noatime,data=ordered. Empty: defaults.',
    },
    {
      name: 'force_unmount',
      type: 'boolean',
      default: false,
      shortdesc: 'Terminate processes holding the metadata filesystem on stop',
      longdesc:
        'When true, stop sends SIGTERM and then SIGKILL to processes that keep the metadata ' +
        'filesystem busy (open files, cwd, mapped files). When false, stop fails and names them.',
    },
    {
      name: 'extra_devices',
      type: 'string',
      shortdesc: 'Additional device paths LVM may scan',
      longdesc:
        'Space-separated regular expressions of device paths that LVM may scan besides /dev/drbd* ' +
        '(which is always accepted), for example ^/dev/mapper/mpath. Everything else is rejected by ' +
        'the filter so that DRBD backing disks are never seen as duplicate PVs.',
    },
    {
      name: 'monitor_lv',
      type: 'string',
      shortdesc: 'LV read by the depth-10 monitor',
      longdesc:
        'LV from which OCF_CHECK_LEVEL=10 reads one block with O_DIRECT. Empty: metadata_lv when set, ' +
        'otherwise the first active LV of the VG.',
    },
  ],
  actions: [
    { name: 'start', timeout: 90 },
    { name: 'stop', timeout: 90 },
    { name: 'monitor', timeout: 30, interval: 30, depth: 0 },
    { name: 'meta-data', timeout: 5 },
    { name: 'validate-all', timeout: 20 },
  ],
});
