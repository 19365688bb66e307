/**
 * `lioha agents --check`: which Node.js each installed agent will run under, found the way its launcher finds it
 * when Pacemaker runs it (empty environment, PATH=/usr/sbin:/usr/bin:/sbin:/bin), and whether it is new enough.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Pacemaker's execd gives agents this PATH. */
const PACEMAKER_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const MIN_NODE = [20, 5] as const;

/** The agents' directory: next to a build (dist/bin/lioha -> dist/resource.d/lioha), else the OCF tree. */
export function defaultAgentDir(cliPath: string, ocfRoot = process.env.OCF_ROOT || '/usr/lib/ocf'): string {
  const built = join(dirname(dirname(cliPath)), 'resource.d', 'lioha');
  return existsSync(built) && !cliPath.startsWith('/usr/') ? built : join(ocfRoot, 'resource.d', 'lioha');
}

export interface InterpreterCheck { agent: string; file: string; node?: string; version?: string; problem?: string }

export function checkAgent(dir: string, agent: string): InterpreterCheck {
  const file = join(dir, agent);
  if (!existsSync(file)) return { agent, file, problem: 'not installed' };
  const which = spawnSync(file, ['lioha-interpreter'], { env: { PATH: PACEMAKER_PATH }, encoding: 'utf8', timeout: 10_000 });
  const node = which.status === 0 ? which.stdout.trim() : undefined;
  if (!node) return { agent, file, problem: 'no Node.js found: every action but meta-data returns 5 (not installed)' };
  const v = spawnSync(node, ['-p', 'process.versions.node'], { env: { PATH: PACEMAKER_PATH }, encoding: 'utf8', timeout: 10_000 });
  const version = v.status === 0 ? v.stdout.trim() : undefined;
  if (!version) return { agent, file, node, problem: `${node} does not run` };
  const [maj = 0, min = 0] = version.split('.').map(Number);
  const old = maj < MIN_NODE[0] || (maj === MIN_NODE[0] && min < MIN_NODE[1]);
  return { agent, file, node, version, ...(old ? { problem: `Node.js ${version} is older than ${MIN_NODE.join('.')}` } : {}) };
}

/** Prints one line per agent; returns false when any agent cannot run. */
export function printChecks(checks: InterpreterCheck[], out: NodeJS.WritableStream): boolean {
  const width = Math.max(...checks.map((c) => c.agent.length));
  for (const c of checks) {
    const what = c.node ? `${c.node} (v${c.version ?? '?'})` : '-';
    out.write(`ocf:lioha:${c.agent.padEnd(width)}  ${c.problem ? 'FAILED' : 'ok'}  ${what}${c.problem ? `  ${c.problem}` : ''}  ${c.file}\n`);
  }
  return checks.every((c) => !c.problem);
}
