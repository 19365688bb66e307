import { defineAgent } from '../../lib/definition.js';

export const definition = defineAgent({
  name: 'discovery',
  version: '0.1.0',
  shortdesc: 'iSCSI discovery portal (lioha-portald): one address for discovery, logins redirected to where each target runs',
  longdesc:
    'Runs lioha-portald, which answers iSCSI discovery sessions on its own address with every target the ' +
    'back-end portals report for the connecting initiator (asked under the initiator\'s name, so LIO ACLs apply), ' +
    'every TargetAddress rewritten to the discovery address, and answers normal-session logins with a redirect ' +
    '(login status "target moved") to a portal that serves the target now. Colocate it with its own portal ' +
    'resource (ocf:lioha:portal without iqn) and start it after that address. Monitor checks that the daemon ' +
    'answers an iSCSI login on every configured address.',
  parameters: [
    {
      name: 'config',
      type: 'string',
      default: '/etc/lioha/portald.json',
      uniqueGroup: 'config',
      shortdesc: 'lioha-portald configuration file',
      longdesc:
        'JSON: discovery portals (listen address, port, back-end portals), removed targets, CHAP. Must be mode 0600 ' +
        'when it holds CHAP secrets. See docs/discovery.md.',
    },
    {
      name: 'daemon',
      type: 'string',
      default: '/usr/bin/lioha-portald',
      shortdesc: 'Path of the lioha-portald executable',
      longdesc: 'The daemon started by start and signalled by stop.',
    },
    {
      name: 'pidfile',
      type: 'string',
      shortdesc: 'Pid file',
      longdesc: 'Default: /run/lioha/portald-<instance>.pid (under the lioha root). The daemon writes it once it listens.',
    },
    {
      name: 'logfile',
      type: 'string',
      shortdesc: 'Daemon log file',
      longdesc: 'Where the daemon\'s JSON log lines (pino) go. Default: /var/log/lioha/portald-<instance>.log (under the lioha root).',
    },
    {
      name: 'log_level',
      type: 'select',
      options: ['error', 'warn', 'info', 'debug'],
      default: 'info',
      shortdesc: 'Daemon log level',
      longdesc: 'info logs every redirect and SendTargets answer; debug also logs framing errors and logins.',
    },
  ],
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'monitor', timeout: 10, interval: 10, depth: 0 },
    { name: 'meta-data', timeout: 5 },
    { name: 'validate-all', timeout: 10 },
  ],
});
