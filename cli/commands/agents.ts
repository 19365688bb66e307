import type { CommandModule } from 'yargs';
import { REGISTRY } from '../../agents/registry.js';

export const command: CommandModule = {
  command: 'agents',
  describe: 'List the resource agents of this suite',
  handler: () => {
    const width = Math.max(...REGISTRY.map((a) => a.name.length));
    for (const a of REGISTRY) process.stdout.write(`ocf:lioha:${a.name.padEnd(width)}  ${a.definition.shortdesc}\n`);
  },
};
