import { defineAgent } from '../../lib/definition.js';

/**
 * OCF agent `target`: one or several LIO iSCSI targets reconciled through configfs
 * from a targetcli saveconfig.json. Kept free of heavy imports: the build imports it
 * to generate the meta-data XML.
 */
export const definition = defineAgent({
  name: 'target',
  version: '1.0',
  shortdesc: 'LIO iSCSI target(s) from a targetcli saveconfig.json, reconciled through configfs',
  longdesc:
    'Manages the LIO iSCSI targets named by "iqn" (one or several, space separated) and the storage ' +
    'objects they use, as described in a targetcli saveconfig.json (the whole file, or a directory ' +
    'holding one JSON file per group of targets). Start creates what is missing and repairs drift ' +
    '(storage objects, target, TPG attributes and parameters, LUNs, portals, ACLs with CHAP and ' +
    'mapped LUNs) and enables the TPG last; a failed start undoes what it created. Stop disables the ' +
    'TPG first so sessions drop, then removes only this resource\'s targets and the storage objects ' +
    'no other target uses. Targets made by hand or by other resources are never touched. Every ' +
    'configfs write runs under a hard timeout; a hung kernel interface during stop is handled as ' +
    'on_stop_hang says. Monitor depth 10 compares everything with the configuration.',
  parameters: [
    {
      name: 'iqn',
      type: 'list',
      required: true,
      uniqueGroup: 'iqn',
      shortdesc: 'Target IQN(s) owned by this resource',
      longdesc:
        'Space-separated list of iSCSI target names (iqn./eui./naa.) that this resource owns. Each must ' +
        'be present in the configuration. Two resources must not own the same target.',
    },
    {
      name: 'config',
      type: 'string',
      default: '/etc/target/saveconfig.json',
      shortdesc: 'targetcli saveconfig.json file or directory',
      longdesc:
        'Path of a targetcli saveconfig.json (as written by "targetcli saveconfig" or "lioha target save"), ' +
        'or of a directory whose *.json files are each a partial saveconfig (a file per group of targets); ' +
        'they are merged and must not contradict each other. Keep it identical on every node.',
    },
    {
      name: 'secrets',
      type: 'string',
      shortdesc: 'Separate CHAP secrets file (mode 0600)',
      longdesc:
        'Optional JSON file holding CHAP passwords so that the main configuration can be world-readable: ' +
        '{"<target iqn>": {"tpg": {"chap_password": "...", "chap_mutual_password": "..."}, ' +
        '"acls": {"<initiator iqn>": {"chap_password": "...", "chap_mutual_password": "..."}}}}. ' +
        'Refused when readable by group or others. Passwords are never logged.',
    },
    {
      name: 'on_stop_hang',
      type: 'select',
      options: ['fail', 'reboot'],
      default: 'fail',
      shortdesc: 'What to do when a kernel write hangs during stop',
      longdesc:
        'LIO lives in the kernel and a hung configfs write cannot be killed. "fail" returns an error ' +
        '(Pacemaker then fences the node if configured). "reboot" syncs, remounts read-only and reboots ' +
        'through sysrq (s, u, b) unless /etc/ha.d/noreboot exists, in which case stop fails.',
    },
    {
      name: 'write_timeout',
      type: 'integer',
      default: 3,
      shortdesc: 'Hard timeout of one configfs write batch (seconds)',
      longdesc:
        'Upper bound on how long one configfs operation may block before it is treated as hung; on a ' +
        'real kernel stop hands its removals to a child in batched calls, and a call of N operations gets ' +
        'this allowance per 64 of them. Always capped by the time left in the action timeout. Unset: the default ' +
        'times the operation\'s timeout over its default (1 to 10), like the agent\'s built-in limits; a value set is used as given.',
    },
    {
      name: 'derive_wwn',
      type: 'boolean',
      default: false,
      shortdesc: 'Derive missing SCSI serials from the storage object name',
      longdesc:
        'Storage objects need a SCSI unit serial (wwn) that is the same on every node, or initiator ' +
        'multipath breaks on failover. By default a storage object without "wwn" in the configuration is ' +
        'refused. When true, a missing serial is derived deterministically from the storage object name ' +
        '(identical on every node) instead.',
    },
    {
      name: 'dbroot',
      type: 'string',
      default: '/etc/rtslib-fb-target',
      shortdesc: 'LIO dbroot (where persistent reservation files go)',
      longdesc:
        'Directory LIO writes persistent reservation (APTPL) files under, in <dbroot>/pr. It is node-global ' +
        'and the kernel accepts a change only while no device is configured on the node, so the agent sets it ' +
        'then and otherwise keeps the current one; either way it creates the pr/ directory, without which every ' +
        'PERSISTENT RESERVE OUT fails. The default is what rtslib (targetcli, targetctl) uses, so the tools agree.',
    },
    {
      name: 'pr_dir',
      type: 'string',
      shortdesc: 'Directory for APTPL files that moves with the group',
      longdesc:
        'A directory on storage that moves with this resource\'s group (for example a filesystem on the DRBD-backed ' +
        'volume group, started before this resource). The APTPL file of each owned LUN is kept there through a link ' +
        'in <dbroot>/pr, and start restores the registrations and reservation from it, so they survive a switchover ' +
        'and a failover. Registrations persist only when the initiator sets APTPL, or the storage object has ' +
        'attribute force_pr_aptpl=1. Unset: APTPL files stay on the node.',
    },
  ],
  actions: [
    { name: 'start', timeout: 60 },
    { name: 'stop', timeout: 60 },
    { name: 'monitor', timeout: 20, interval: 10 },
    { name: 'monitor', timeout: 30, interval: 61, depth: 10 },
    { name: 'validate-all', timeout: 10 },
    { name: 'meta-data', timeout: 5 },
  ],
});
