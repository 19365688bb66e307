import { defineAgent, standardActions } from '../../lib/definition.js';
import { BACKEND_NAMES } from '../../lib/ddmap/backends/names.js';

/**
 * ddmap: saves each exported LUN's change map (which 16 KiB segments were
 * written) of one volume group on stop, and keeps the per-LUN state machine of
 * the Amherst ietd_ddmap.sh (UNKNOWN, ACTIVE, CLEAN, DIRTY) so a backup knows
 * whether the saved maps are complete or a full read is needed.
 */
export const definition = defineAgent({
  name: 'ddmap',
  version: '1.0',
  shortdesc: 'Saves iSCSI LUN change maps (ddmap) of a volume group across failover',
  longdesc:
    'Tracks the change map (ddmap: one bit per 16 KiB segment written) of every iSCSI LUN backed by a logical ' +
    'volume of the volume group "vgname". On stop, each LUN map is suspended, read whole, resumed, and written ' +
    'atomically to <state_dir>/<vg>/ddmap/<lv>.<YYYYMMDD-HHMMSS.nnnnnnnnn>.ddmapdump (UTC); the LUN state in ' +
    '<lv>.state goes ACTIVE -> CLEAN (UNKNOWN and DIRTY -> DIRTY), with every change appended to <lv>.log. ' +
    'On start, states change CLEAN -> ACTIVE, ACTIVE -> DIRTY (unclean shutdown), UNKNOWN -> DIRTY; no map data ' +
    'is ever written into the kernel. A backup tool merges all dumps plus the live map (lioha ddmap merge) and ' +
    'reads only flagged segments unless the state is DIRTY, in which case it reads the whole volume and then ' +
    'sets ACTIVE (lioha ddmap state set). state_dir/<vg> must be on the volume group\'s own filesystem so the ' +
    'maps follow the volume group to the other node. With backend=iet, place this resource after the target ' +
    'and before the portal address in the group, so initiators are cut off before the maps are saved. With ' +
    'backend=era the agent owns one dm-era device per LV in "lvs" (/dev/mapper/era-<vg>-<lv>, the backstore ' +
    'udev_path) with its metadata in the LV <lv>_eramd of the same VG: place it after the volume group and ' +
    'before the target, so its start creates the devices LIO opens and its stop removes them after LIO let go.',
  parameters: [
    {
      name: 'vgname',
      type: 'string',
      required: true,
      uniqueGroup: 'vgname',
      shortdesc: 'Volume group',
      longdesc: 'LVM volume group whose exported logical volumes have their change maps saved.',
    },
    {
      name: 'state_dir',
      type: 'string',
      default: '/mnt/iscsi-target',
      shortdesc: 'Per-VG metadata directory (VGMETA_DIR)',
      longdesc:
        'Directory holding one subdirectory per volume group (the mount point of that VG\'s metadata filesystem). ' +
        'Maps, states and logs live in <state_dir>/<vgname>/ddmap/, which is created when missing; ' +
        '<state_dir>/<vgname> itself must exist.',
    },
    {
      name: 'backend',
      type: 'select',
      options: BACKEND_NAMES,
      default: 'iet',
      shortdesc: 'Change-map source',
      longdesc:
        'Where the change maps come from. "iet": the iSCSI Enterprise Target ddmap patch, ' +
        '/proc/net/iet/ddmap/<target>.<lun>, with /proc/net/iet/volume mapping LUNs to logical volumes. ' +
        '"era": the kernel\'s dm-era target (LIO and any current kernel): start creates /dev/mapper/era-<vg>-<lv> ' +
        'over each LV in "lvs" (creating the metadata LV <lv>_eramd when missing), stop saves the 16 KiB ' +
        'segments written since the last dump (era_invalidate, thin-provisioning-tools) and removes the device; ' +
        'the target\'s backstores must use udev_path=/dev/mapper/era-<vg>-<lv> (a "-" inside a name is doubled).',
    },
    {
      name: 'targets',
      type: 'list',
      default: '',
      shortdesc: 'Only these targets',
      longdesc: 'Space-separated target names (IQNs) to handle; empty handles every target with a LUN on the VG. iet only.',
    },
    {
      name: 'lvs',
      type: 'list',
      default: '',
      shortdesc: 'Only these logical volumes',
      longdesc:
        'Space-separated logical volume names to handle; empty handles every exported LV of the VG (iet). ' +
        'Required with backend=era: the LVs that get an era device.',
    },
    {
      name: 'map_timeout',
      type: 'integer',
      default: 5000,
      shortdesc: 'Time limit for one map capture (ms)',
      longdesc:
        'Upper bound for suspending, reading and resuming one LUN map. A capture that takes longer is abandoned, ' +
        'the map is resumed, and the LUN is set DIRTY (the stop fails). With backend=era: the bound of each ' +
        'command (dmsetup, era_invalidate, lvm); a failed era capture sets DIRTY and the stop still removes the device. ' +
        'Unset: the default times the operation\'s timeout over its default (1 to 10), like the agent\'s built-in limits; ' +
        'a value set is used as given.',
    },
    {
      name: 'extra_devices',
      type: 'string',
      default: '',
      shortdesc: 'Extra LVM device regexes (era)',
      longdesc:
        'backend=era runs lvm (lvs, lvcreate, lvchange for the metadata LV) with the same device filter as the vg ' +
        'agent: /dev/drbd* plus these space-separated regexes. Give the vg resource\'s extra_devices here.',
    },
  ],
  actions: standardActions({ start: 30, stop: 120, monitor: 20, interval: 30 }),
});
