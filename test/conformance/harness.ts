/** Drives a built agent through Pacemaker's own tools, as the conformance suite and scripts need. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentDir } from '../helpers/agent.js';

export const DTD = '/usr/share/resource-agents/ra-api-1.dtd';
export const PCS_RNG = '/usr/share/pcs/data/ocf-1.1.rng';
/**
 * Agents are exposed to crm_resource under a provider of their own, named after
 * this checkout, so an installed lioha package and other checkouts are never touched.
 */
export const TEST_PROVIDER = `lioha-test-${createHash('sha256').update(agentDir).digest('hex').slice(0, 8)}`;
const providerLink = `/usr/lib/ocf/resource.d/${TEST_PROVIDER}`;

export interface ToolRun {
  code: number;
  out: string;
}

export function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ToolRun {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function missingTools(): string[] {
  return ['xmllint', 'crm_resource', 'ocf-tester'].filter((t) => tool('sh', ['-c', `command -v ${t}`]).code !== 0);
}

/** /usr/lib/ocf/resource.d/<TEST_PROVIDER> -> dist/resource.d/lioha (idempotent). */
export function exposeBuiltAgents(): void {
  if (isLink(providerLink) && readlinkSync(providerLink) === agentDir) return;
  mkdirSync('/usr/lib/ocf/resource.d', { recursive: true });
  rmSync(providerLink, { force: true });
  symlinkSync(agentDir, providerLink);
}

/**
 * A copy of a built agent that uid nobody can run: ocf-tester checks permissions by running meta-data as nobody,
 * and a checkout under /root (mode 0700), where a new user clones it, is not reachable for nobody.
 */
export function copyForOcfTester(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lioha-ocf-tester-'));
  chmodSync(dir, 0o755);
  const file = join(dir, name);
  copyFileSync(join(agentDir, name), file);
  chmodSync(file, 0o755);
  // The agent file is a launcher: its bundle and code cache live in .lioha/ beside it (scripts/build.ts).
  cpSync(join(agentDir, '.lioha'), join(dir, '.lioha'), { recursive: true });
  chmodSync(join(dir, '.lioha'), 0o755);
  return file;
}

export function hideBuiltAgents(): void {
  if (isLink(providerLink)) rmSync(providerLink, { force: true });
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A CIB file holding one primitive, for crm_resource --force-* with CIB_file. */
export function writeCib(dir: string, id: string, agent: string, params: Record<string, string>): string {
  const nv = Object.entries(params)
    .map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${xmlEscape(v)}"/>`)
    .join('');
  const file = join(dir, 'cib.xml');
  writeFileSync(
    file,
    `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">` +
      `<configuration><crm_config/><nodes/><resources><primitive id="${id}" class="ocf" provider="${TEST_PROVIDER}" type="${agent}">` +
      `<instance_attributes id="${id}-ia">${nv}</instance_attributes></primitive></resources><constraints/></configuration><status/></cib>\n`,
  );
  return file;
}

/** Exit code crm_resource reports for the agent's own result ("returned N"). */
export function agentCode(r: ToolRun): number {
  const m = /returned (\d+)/.exec(r.out);
  return m ? Number(m[1]) : -1;
}
