import type { CommandModule } from 'yargs';
import { REGISTRY } from '../../agents/registry.js';

export const command: CommandModule = {
  command: 'agents',
  describe: 'List the resource agents of this suite',
  builder: (y) =>
    y
      .option('check', { type: 'boolean', describe: 'Report the Node.js each installed agent will run under (as Pacemaker runs it)' })
      .option('dir', { type: 'string', describe: 'Agents directory for --check (default: next to this build, else $OCF_ROOT/resource.d/lioha)' }),
  handler: async (argv) => {
    if (argv.check) {
      const { checkAgent, defaultAgentDir, printChecks } = await import('./agents-check.js');
      const dir = (argv.dir as string | undefined) ?? defaultAgentDir(process.argv[1] ?? '');
      if (!printChecks(REGISTRY.map((a) => checkAgent(dir, a.name)), process.stdout)) process.exitCode = 1;
      return;
    }
    const width = Math.max(...REGISTRY.map((a) => a.name.length));
    for (const a of REGISTRY) process.stdout.write(`ocf:lioha:${a.name.padEnd(width)}  ${a.definition.shortdesc}\n`);
  },
};
