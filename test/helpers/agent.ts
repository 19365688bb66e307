import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const distDir = join(repoDir, 'dist');
export const agentDir = join(distDir, 'resource.d', 'lioha');

export function builtAgentPath(name: string): string {
  const p = join(agentDir, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run 'npm run build' first`);
  return p;
}

export interface AgentRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The ocf-exit-reason lines, without the prefix. */
  reasons: string[];
}

export interface RunAgentOptions {
  params?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  root?: string;
  timeoutMs?: number;
}

/** Run a built agent out of process, the way Pacemaker does: action in argv, parameters in OCF_RESKEY_*. */
export function runBuiltAgent(name: string, action: string, o: RunAgentOptions = {}): AgentRun {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: `test-${name}`,
    ...o.env,
  };
  if (o.root) env.LIOHA_ROOT = o.root;
  for (const [k, v] of Object.entries(o.params ?? {})) env[`OCF_RESKEY_${k}`] = v;
  const r = spawnSync(builtAgentPath(name), [action], { env, encoding: 'utf8', timeout: o.timeoutMs ?? 60_000 });
  if (r.error) throw r.error;
  const stderr = r.stderr ?? '';
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr,
    reasons: stderr
      .split('\n')
      .filter((l) => l.startsWith('ocf-exit-reason:'))
      .map((l) => l.slice('ocf-exit-reason:'.length)),
  };
}
