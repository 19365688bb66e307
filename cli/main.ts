import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';

/** `lioha`: the admin CLI (not on any Pacemaker hot path, so yargs is fine here). */
export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('lioha')
    .usage('$0 <command> [options]\n\nAdmin tool for the lioha OCF resource agents (LIO + DRBD + LVM HA iSCSI).')
    .command(commands)
    .demandCommand(1, 'Name a command; see --help.')
    .strict()
    .version(LIOHA_VERSION)
    .alias('h', 'help')
    .alias('V', 'version')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) {
        process.stderr.write(`lioha: ${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`lioha: ${msg}\nRun 'lioha --help' for usage.\n`);
      process.exit(2);
    })
    .parseAsync();
}

// A reader that stops early (`lioha ddmap state list | head -2`) is not an error: end quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

main(hideBin(process.argv)).catch((e: unknown) => {
  process.stderr.write(`lioha: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
