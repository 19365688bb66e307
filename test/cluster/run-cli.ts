/** Runs `lioha cluster ...` through its yargs command in-process and returns what it wrote to stdout. */
import { vi } from 'vitest';
import yargs from 'yargs';
import { command } from '../../cli/commands/cluster.js';

export async function clusterCli(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  await yargs(args).command(command).strict().fail((msg, err) => { throw err ?? new Error(msg); }).parseAsync();
  return out;
}
