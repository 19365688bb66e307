/**
 * `lioha status`: is my storage healthy, and where does it run? Files plus one
 * `crm_mon --output-as=xml` call; no targetcli. The first line is the verdict
 * and the exit code matches it (0 OK, 1 DEGRADED, 2 FAILED, 3 unknown/usage),
 * as monitoring plugins do.
 */
import type { CommandModule } from 'yargs';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const OPTIONS = {
  json: { type: 'boolean', default: false },
  watch: { type: 'boolean', default: false },
  interval: { type: 'string', default: '2' },
  root: { type: 'string' },
  node: { type: 'string' },
  'ddmap-state-dir': { type: 'string', default: '/mnt/iscsi-target' },
  timeout: { type: 'string', default: '5' },
  'crm-mon-xml': { type: 'string' },
} as const;

async function once(v: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']): Promise<{ text: string; code: number }> {
  const root = v.root ?? process.env.LIOHA_ROOT ?? '/';
  const { collect, resolveUnder } = await import('../../lib/stats/collect.js');
  const { parseProcNetTcp } = await import('../../lib/proc/net-tcp.js');
  const { buildReport, VERDICT_EXIT } = await import('../../lib/status/report.js');
  const { renderStatus } = await import('../../lib/status/render.js');
  // The crm_mon call runs while the files are read.
  let clusterP: Promise<{ cluster?: import('../../lib/status/crm-mon.js').ClusterStatus; error?: string }>;
  if (v['crm-mon-xml']) {
    const { parseCrmMon } = await import('../../lib/status/crm-mon.js');
    const file = v['crm-mon-xml'];
    clusterP = Promise.resolve().then(() => ({ cluster: parseCrmMon(readFileSync(file, 'utf8')) }));
  } else {
    const { readCluster } = await import('../../lib/status/cluster-source.js');
    clusterP = readCluster(Number(v.timeout) * 1000);
  }
  const snap = collect({ root, ddmapStateDir: v['ddmap-state-dir']!, backstores: false, counters: 'none' });
  const sockets = [4, 6].flatMap((f) => {
    try {
      return parseProcNetTcp(readFileSync(resolveUnder(root, f === 4 ? '/proc/net/tcp' : '/proc/net/tcp6'), 'utf8'), f as 4 | 6);
    } catch {
      return [];
    }
  });
  const { cluster, error } = await clusterP;
  const report = buildReport({
    node: v.node ?? hostname(),
    ...(cluster ? { cluster } : {}),
    ...(error ? { clusterError: error } : {}),
    lio: snap.lio, drbd: snap.drbd, ddmap: snap.ddmap, sockets,
  });
  return { text: v.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report), code: VERDICT_EXIT[report.verdict] };
}

export async function runStatus(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args, options: OPTIONS, strict: true }).values;
  } catch (e) {
    process.stderr.write(`lioha status: ${(e as Error).message}\n`);
    return 3;
  }
  const interval = Number(v.interval);
  if (!(interval >= 0.5)) {
    process.stderr.write('lioha status: --interval wants seconds, at least 0.5\n');
    return 3;
  }
  try {
    if (!v.watch) {
      const { text, code } = await once(v);
      process.stdout.write(text);
      return code;
    }
    for (;;) {
      const { text } = await once(v);
      // Clear the screen and home the cursor, then draw: one frame per refresh.
      process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString().slice(11, 19)} every ${interval}s (Ctrl-C to quit)\n${text}`);
      await new Promise((r) => setTimeout(r, interval * 1000));
    }
  } catch (e) {
    process.stdout.write(`FAILED: lioha status could not read the node: ${(e as Error).message}\n`);
    return 3;
  }
}

export const command: CommandModule = {
  command: 'status',
  describe: 'One screen: verdict (OK/DEGRADED/FAILED, exit 0/1/2), groups, DRBD, targets, sessions, ddmap',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', describe: 'the report as JSON, for scripts' })
      .option('watch', { type: 'boolean', describe: 'refresh every --interval seconds' })
      .option('interval', { type: 'number', default: 2 })
      .option('node', { type: 'string', describe: 'this node\'s cluster name (default: the host name)' })
      .option('root', { type: 'string', describe: 'filesystem root (default $LIOHA_ROOT or /)' })
      .option('ddmap-state-dir', { type: 'string', default: '/mnt/iscsi-target' })
      .option('timeout', { type: 'number', default: 5, describe: 'seconds for the crm_mon call' })
      .option('crm-mon-xml', { type: 'string', describe: 'read this saved crm_mon --output-as=xml instead of calling crm_mon' })
      .strict(false),
  handler: async () => {
    const i = process.argv.indexOf('status');
    process.exitCode = await runStatus(process.argv.slice(i + 1));
  },
};
