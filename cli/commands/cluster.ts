import type { Argv, CommandModule } from 'yargs';
import { readFileSync, writeFileSync } from 'node:fs';

interface ScriptArgs {
  description: string;
  'drbd-stand-in': boolean;
  meta?: string | string[];
  output?: string;
}

function scriptOptions(y: Argv): Argv<ScriptArgs> {
  return y
    .positional('description', { type: 'string', demandOption: true, describe: 'Cluster description (JSON)' })
    .option('drbd-stand-in', {
      type: 'boolean',
      default: false,
      describe: 'Use ocf:pacemaker:Stateful instead of ocf:linbit:drbd (machines without DRBD)',
    })
    .option('meta', {
      // One value per --meta (repeat it): an array option would swallow the description argument.
      type: 'string',
      nargs: 1,
      describe: 'Extra meta attribute name=value on every lioha resource (e.g. lioha-root=/srv/sandbox)',
    })
    .option('output', { alias: 'o', type: 'string', describe: 'Write the script to this file (mode 0755) instead of stdout' }) as unknown as Argv<ScriptArgs>;
}

function parseMeta(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)=(.*)$/.exec(item);
    if (!m || /["'\\\s]/.test(m[2] ?? '')) throw new Error(`--meta ${item}: expected name=value (no spaces, quotes or backslashes)`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function scriptCommand(kind: 'pcs' | 'crm', what: string): CommandModule<object, ScriptArgs> {
  return {
    command: `${kind} <description>`,
    describe: `Print the ${what} script that builds the cluster configuration`,
    builder: scriptOptions,
    handler: async (a) => {
      // Loaded here so other lioha commands never pay for the generator.
      const { generateScript, crossCheckFromText } = await import('../cluster/generate.js');
      const { ClusterClashError } = await import('../../lib/cluster/group-configs.js');
      const meta = parseMeta(a.meta === undefined ? [] : ([] as string[]).concat(a.meta));
      const command = [
        `lioha cluster ${kind}`,
        ...(a['drbd-stand-in'] ? ['--drbd-stand-in'] : []),
        ...Object.entries(meta).map(([k, v]) => `--meta ${k}=${v}`),
        a.description,
      ].join(' ');
      const text = readFileSync(a.description, 'utf8');
      const script = generateScript(kind, text, {
        source: a.description,
        command,
        drbdStandIn: a['drbd-stand-in'],
        meta,
      });
      // The same cross-group check as `lioha cluster check`: a clash refuses, before anything is written.
      const cross = crossCheckFromText(text, a.description);
      if (cross.errors.length) throw new ClusterClashError(cross.errors, `refusing to generate from ${a.description}`);
      for (const n of cross.notes) process.stderr.write(`lioha: note: ${n}\n`);
      if (a.output) writeFileSync(a.output, script, { mode: 0o755 });
      else process.stdout.write(script);
    },
  };
}

interface DiscoveryConfigArgs {
  description: string;
  output?: string;
}

const discoveryConfigCommand: CommandModule<object, DiscoveryConfigArgs> = {
  command: 'discovery-config <description>',
  describe: "Print lioha-portald's configuration file (its back-ends: every volume group's portals) for the description's discovery portal",
  builder: (y) =>
    y
      .positional('description', { type: 'string', demandOption: true, describe: 'Cluster description (JSON)' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'Replace this file atomically (mode 0644, or 0600 when it holds CHAP secrets) instead of printing',
      }) as unknown as Argv<DiscoveryConfigArgs>,
  handler: async (a) => {
    const { parseDescriptionOrThrow } = await import('../../lib/cluster/parse-description.js');
    const { portaldFileFor, portaldFileText } = await import('../../lib/cluster/portald-config.js');
    const f = portaldFileFor(parseDescriptionOrThrow(readFileSync(a.description, 'utf8'), a.description), a.description);
    const text = portaldFileText(f);
    if (a.output) {
      const { replaceFile } = await import('../../lib/sys/private-file.js');
      await replaceFile(a.output, text, f.secret ? 0o600 : 0o644);
    } else {
      if (f.secret) process.stderr.write('lioha: the portald configuration holds CHAP secrets; prefer -o FILE (written 0600) to printing it\n');
      process.stdout.write(text);
    }
  },
};

export const command: CommandModule = {
  command: 'cluster <command>',
  describe: 'Generate the Pacemaker configuration (pcs or crmsh script) from a cluster description',
  builder: (y) =>
    y
      .command(scriptCommand('pcs', 'pcs'))
      .command(scriptCommand('crm', 'crmsh'))
      .command({
        command: 'check <description>',
        describe: "Validate a cluster description, check the groups' target configurations (where readable here) against each other, and list what it would create",
        builder: (yy) => yy.positional('description', { type: 'string', demandOption: true }),
        handler: async (a) => {
          const { planFromText, crossCheckFromText } = await import('../cluster/generate.js');
          const { ClusterClashError } = await import('../../lib/cluster/group-configs.js');
          const file = String(a['description']);
          const text = readFileSync(file, 'utf8');
          const plan = planFromText(text, { source: file });
          const cross = crossCheckFromText(text, file);
          if (cross.errors.length) throw new ClusterClashError(cross.errors, `${file} is not valid`);
          for (const c of plan.promotables) process.stdout.write(`promotable ${c.id} (${c.primitive.agent.provider}:${c.primitive.agent.type})\n`);
          for (const g of plan.groups) process.stdout.write(`group ${g.id}: ${g.members.map((m) => m.id).join(' -> ')}\n`);
          process.stdout.write(`${plan.constraints.length} constraints; ${file} is valid\n`);
          for (const n of [...plan.notes, ...cross.notes]) process.stdout.write(`note: ${n}\n`);
        },
      })
      .command(discoveryConfigCommand)
      .demandCommand(1, 'Name a cluster subcommand: pcs, crm, check or discovery-config.'),
  handler: () => undefined,
};
