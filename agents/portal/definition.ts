import { defineAgent } from '../../lib/definition.js';

/**
 * ocf:lioha:portal — the iSCSI portal address (the seed's `p_vip`, an IPaddr2
 * copy), optionally with the LIO network portal bound on it and nftables
 * connection blocking around its own transitions.
 *
 * Kept import-free apart from defineAgent: the build imports this file to
 * generate meta-data XML, and other tools generate cluster scripts from it.
 */
export const definition = defineAgent({
  name: 'portal',
  version: '1.0',
  shortdesc: 'iSCSI portal address (IPv4/IPv6) with LIO network portal binding',
  longdesc:
    'Manages the floating address initiators log in to, like ocf:heartbeat:IPaddr2: ' +
    'refuses to start when the address already answers from another host (duplicate ' +
    'address detection), adds it to the interface, announces it (gratuitous ARP for ' +
    'IPv4, unsolicited neighbour advertisements for IPv6) and, when iqn is set, creates ' +
    'the LIO network portal <ip>:<port> in each listed target portal group (the targets ' +
    'themselves belong to the target agent, which must be started first). With ' +
    'block=drop, new TCP connections to <ip>:<port> are dropped by an nftables rule while ' +
    'the address comes up or goes down, so initiators retransmit instead of receiving a ' +
    'reset. Put this resource last in the group: it comes up after the target and goes ' +
    'down first. Monitor reads /proc and /sys only and spawns nothing.',
  parameters: [
    {
      name: 'ip',
      type: 'string',
      required: true,
      uniqueGroup: 'ip',
      shortdesc: 'Portal address (IPv4 or IPv6)',
      longdesc:
        'The floating IPv4 or IPv6 address, without prefix length, e.g. 10.110.88.59 or 2001:db8::59.',
    },
    {
      name: 'cidr_netmask',
      type: 'integer',
      shortdesc: 'Prefix length',
      longdesc:
        'Prefix length of the address (0-32 for IPv4, 0-128 for IPv6). When absent, taken ' +
        'from the connected route of nic that covers ip; 32 or 128 if there is none.',
    },
    {
      name: 'nic',
      type: 'string',
      shortdesc: 'Network interface',
      longdesc:
        'Interface to put the address on (e.g. bond0, eth2.10). When absent, the interface ' +
        'of the most specific connected (non-gateway) route covering ip is used, read from ' +
        '/proc/net/route or /proc/net/ipv6_route.',
    },
    {
      name: 'label',
      type: 'string',
      shortdesc: 'IPv4 address label',
      longdesc:
        'Label for the IPv4 address (shown by ifconfig as nic:label); at most 15 characters ' +
        'together with the interface name. Ignored for IPv6.',
    },
    {
      name: 'arp_count',
      type: 'integer',
      default: 5,
      shortdesc: 'Number of announcements',
      longdesc:
        'How many gratuitous ARP pairs (IPv4, send_arp) or unsolicited neighbour ' +
        'advertisements (IPv6, send_ua) to send after adding the address. 0 sends none.',
    },
    {
      name: 'arp_interval',
      type: 'integer',
      default: 200,
      shortdesc: 'Interval between announcements (ms)',
      longdesc: 'Milliseconds between two announcements.',
    },
    {
      name: 'arp_bg',
      type: 'boolean',
      default: true,
      shortdesc: 'Send the announcements in the background',
      longdesc:
        'When true, start leaves the whole series to a detached, time-bounded helper ' +
        '(stop kills it) and does not wait for any of it, as IPaddr2 arp_bg does. ' +
        'When false, start sends all of them before it returns.',
    },
    {
      name: 'dad',
      type: 'boolean',
      default: true,
      shortdesc: 'Refuse to start when the address is already in use',
      longdesc:
        'Duplicate address detection before adding the address: an ARP probe from 0.0.0.0 ' +
        '(arping) for IPv4, a neighbour solicitation (ndisc6) for IPv6. If another host ' +
        'answers, start fails with OCF_ERR_GENERIC naming the answering MAC address. ' +
        'IPv6 addresses are then added with nodad so they are usable at once.',
    },
    {
      name: 'dad_timeout',
      type: 'integer',
      // A holder of the address on the same segment answers an ARP probe within
      // milliseconds; every millisecond here is added to each failover.
      default: 300,
      shortdesc: 'Duplicate address probe time (ms)',
      longdesc:
        'How long the duplicate address probe waits for an answer, in milliseconds. It is part of every ' +
        'failover, so keep it short; iputils arping rounds it up to whole seconds.',
    },
    {
      name: 'preferred_lft',
      type: 'string',
      default: 'forever',
      shortdesc: 'IPv6 preferred lifetime',
      longdesc:
        'Preferred lifetime of an IPv6 address ("forever" or seconds). 0 keeps the kernel ' +
        'from choosing the portal address as source for outgoing connections. Ignored for IPv4.',
    },
    {
      name: 'noprefixroute',
      type: 'boolean',
      default: false,
      shortdesc: 'Do not create the prefix route',
      longdesc: 'Add the address with noprefixroute, so no connected route is created for it.',
    },
    {
      name: 'check_link',
      type: 'boolean',
      default: true,
      shortdesc: 'Monitor fails when the link is down',
      longdesc:
        'When true, monitor returns OCF_ERR_GENERIC if the interface is administratively ' +
        'down or has no carrier, so Pacemaker moves the portal to a node that can be reached.',
    },
    {
      name: 'port',
      type: 'integer',
      default: 3260,
      shortdesc: 'iSCSI TCP port',
      longdesc:
        'TCP port of the LIO network portal and of connection blocking. Monitor checks that ' +
        'something listens on ip:port when iqn is set.',
    },
    {
      name: 'iqn',
      type: 'list',
      shortdesc: 'Target IQN(s) whose portal is bound to the address',
      longdesc:
        'Space-separated list of target IQNs. For each, start makes the TPG reachable on ' +
        '<ip>:<port>: it creates the network portal np/<ip>:<port> (IPv6 in brackets) in ' +
        'tpgt_<tpgt>, unless the TPG already has it (listed in the target\'s saveconfig.json) or ' +
        'has a wildcard portal 0.0.0.0:<port> or [::]:<port> that serves it; when another target ' +
        'of the node holds a wildcard on the port, it adds that wildcard instead (the kernel ' +
        'refuses a specific address next to a wildcard). Stop removes only the portals this ' +
        'resource created. The target and its TPG must already exist (started by the target ' +
        'agent earlier in the group); otherwise start fails naming them. When empty, only the ' +
        'address is managed.',
    },
    {
      name: 'tpgt',
      type: 'integer',
      default: 1,
      shortdesc: 'Target portal group tag',
      longdesc: 'Tag N of the TPG (tpgt_N) the network portal is created in.',
    },
    {
      name: 'iser',
      type: 'boolean',
      default: false,
      shortdesc: 'Enable iSER on the network portal',
      longdesc:
        'Write 1 to np/<ip>:<port>/iser after creating the portal (needs ib_isert and an ' +
        'RDMA-capable interface); monitor then also checks it reads 1.',
    },
    {
      name: 'block',
      type: 'select',
      options: ['none', 'drop'],
      default: 'none',
      shortdesc: 'Block new connections during transitions',
      longdesc:
        'With "drop", start installs an nftables table (inet lioha_portal_<instance>) that ' +
        'drops new TCP connections (SYN) to ip:port before adding the address and removes ' +
        'it once the network portal listens; stop installs it before removing the portal and ' +
        'removes it after the address is gone. Initiators then retransmit their SYN instead ' +
        'of getting a reset while nothing listens. Needs nft. "none" installs nothing.',
    },
  ],
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'monitor', timeout: 20, interval: 10, depth: 0 }, // as IPaddr2: a monitor on a loaded node needs room
    { name: 'validate-all', timeout: 20 },
    { name: 'meta-data', timeout: 5 },
  ],
});
