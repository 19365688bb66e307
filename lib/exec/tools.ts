/** Which external tools an operation needs, and whether they are installed: checked before start touches anything. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { searchPath } from './run.js';

/** The path run() would execute for cmd, or undefined when it is not installed. */
export function findTool(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = cmd.includes('/') ? [cmd] : searchPath(env).split(delimiter).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The tools in `needed` ([name, why]) that are missing, as "name (why)". */
export function missingTools(needed: readonly (readonly [string, string])[], env: NodeJS.ProcessEnv): string[] {
  return needed.filter(([cmd]) => findTool(cmd, env) === undefined).map(([cmd, why]) => `${cmd} (${why})`);
}
