import type { Argv, CommandModule } from 'yargs';

/**
 * `lioha discovery`: what an initiator sees through a portal, and where a login
 * would be sent (the seed's iscsi_portal_sendtargets and iscsi_portal_query).
 * Works against lioha-portald and against any iSCSI portal, LIO included.
 */

function portal(v: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(v) ?? /^([^:\s]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new Error(`--portal ${v}: expected address[:port] (IPv6 as [addr]:port)`);
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new Error(`--portal ${v}: port out of range`);
  return { host: m[1]!, port };
}

const common = (y: Argv) =>
  y
    .option('portal', { alias: 'p', type: 'string', demandOption: true, describe: 'address[:port] of the discovery portal (or any iSCSI portal)' })
    .option('initiator', { alias: 'i', type: 'string', demandOption: true, describe: 'initiator name to ask as' })
    .option('timeout', { type: 'number', default: 5000, describe: 'milliseconds for the whole exchange' })
    .option('chap-user', { type: 'string', describe: 'discovery CHAP user name (the secret is read from LIOHA_CHAP_SECRET, never from argv)' });

function chap(argv: Record<string, unknown>): { username: string; password: string } | undefined {
  const user = argv['chap-user'] as string | undefined;
  if (!user) return undefined;
  const password = process.env.LIOHA_CHAP_SECRET;
  if (!password) throw new Error('--chap-user needs the secret in LIOHA_CHAP_SECRET');
  return { username: user, password };
}

const sendtargets: CommandModule = {
  command: 'sendtargets',
  describe: 'List the targets an initiator is shown at a portal (SendTargets=All), with their addresses',
  builder: (y: Argv) => common(y).option('target', { alias: 't', type: 'string', describe: 'ask for this target only (SendTargets=<iqn>)' }),
  handler: async (argv) => {
    const { discoverTargets } = await import('../../lib/iscsi/initiator.js');
    const { formatTargetAddress } = await import('../../lib/iscsi/address.js');
    const c = chap(argv);
    const targets = await discoverTargets(
      { ...portal(String(argv.portal)), initiatorName: String(argv.initiator), timeoutMs: Number(argv.timeout), ...(c && { chap: c }) },
      argv.target ? String(argv.target) : 'All',
    );
    for (const t of targets) process.stdout.write(`${t.name} ${t.addresses.map(formatTargetAddress).join(' ')}\n`);
  },
};

const query: CommandModule = {
  command: 'query',
  describe: 'Try a normal-session login and print where it is sent (redirect), or how it is answered',
  builder: (y: Argv) => common(y).option('target', { alias: 't', type: 'string', demandOption: true, describe: 'target name' }),
  handler: async (argv) => {
    const { tryLogin } = await import('../../lib/iscsi/initiator.js');
    const { loginStatusName } = await import('../../lib/iscsi/login-status.js');
    const r = await tryLogin({ ...portal(String(argv.portal)), initiatorName: String(argv.initiator), targetName: String(argv.target), timeoutMs: Number(argv.timeout) });
    const to = r.keys.get('TargetAddress');
    process.stdout.write(`${loginStatusName(r.status)}${to ? ` ${to}` : ''}\n`);
    if (r.status >> 8 > 1) process.exitCode = 1;
  },
};

export const command: CommandModule = {
  command: 'discovery <command>',
  describe: 'Ask a discovery portal what an initiator sees and where its logins go',
  builder: (y: Argv) => y.command(sendtargets).command(query).demandCommand(1),
  handler: () => undefined,
};
