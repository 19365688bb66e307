import type { CommandModule } from 'yargs';
import { command as agents } from './agents.js';
import { command as backup } from './backup.js';
import { command as cluster } from './cluster.js';
import { command as ddmap } from './ddmap.js';
import { command as discovery } from './discovery.js';
import { command as doctor } from './doctor.js';
import { command as stats } from './stats.js';
import { command as status } from './status.js';
import { command as target } from './target.js';

/** Every `lioha` subcommand: one line each. */
export const commands: CommandModule[] = [agents, backup, cluster, ddmap, discovery, doctor, stats, status, target];
