import type { CommandModule } from 'yargs';

export const command: CommandModule = {
  command: 'agents',
  describe: 'List the resource agents of this suite',
  handler: () => {
    const width = Math.max(...LIOHA_AGENTS.map((a) => a.name.length));
    for (const a of LIOHA_AGENTS) process.stdout.write(`ocf:lioha:${a.name.padEnd(width)}  ${a.shortdesc}\n`);
  },
};
