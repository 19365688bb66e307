/**
 * The `lioha` executable. `lioha stats` (scraped every few seconds, and run as
 * munin's lio_read / lio_write symlinks) and `lioha status` start without
 * loading yargs; every other command loads the full CLI (./main.ts), which the
 * build embeds as a string compiled only when it is needed.
 */
import { basename } from 'node:path';

const args = process.argv.slice(2);
const self = basename(process.argv[1] ?? '');
const help = args.includes('--help') || args.includes('-h');

async function start(): Promise<void> {
  if (/^lio_(read|write)$/.test(self)) {
    const { runStats } = await import('./commands/stats.js');
    process.exitCode = await runStats(args, self);
  } else if (!help && args[0] === 'stats') {
    const { runStats } = await import('./commands/stats.js');
    process.exitCode = await runStats(args.slice(1));
  } else if (!help && args[0] === 'status') {
    const { runStatus } = await import('./commands/status.js');
    process.exitCode = await runStatus(args.slice(1));
  } else {
    await import('./main.js');
  }
}

start().catch((e: unknown) => {
  process.stderr.write(`lioha: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
