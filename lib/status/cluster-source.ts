/** The one Pacemaker call `lioha status` (and `lioha stats --cluster`) makes. */
import { ExecFailedError, run } from '../exec/run.js';
import { parseCrmMon, type ClusterStatus } from './crm-mon.js';

export const CRM_MON_ARGS = ['--output-as=xml', '--one-shot', '--include=all'] as const;

export async function readCluster(timeoutMs = 5000): Promise<{ cluster?: ClusterStatus; error?: string }> {
  try {
    const r = await run('crm_mon', CRM_MON_ARGS, { timeoutMs, okCodes: [0] });
    return { cluster: parseCrmMon(r.stdout) };
  } catch (e) {
    // With --output-as=xml crm_mon reports its own errors as XML on stdout: keep the words.
    if (e instanceof ExecFailedError) {
      const out = `${e.result.stdout}\n${e.result.stderr}`;
      const msg = /<status\b[^>]*\bmessage="([^"]*)"/.exec(out)?.[1];
      const detail = [...out.matchAll(/<error>([^<]*)<\/error>/g)].map((m) => m[1]!.trim()).join('; ');
      if (msg || detail) return { error: `crm_mon exited with ${e.result.exitCode}: ${[msg, detail].filter(Boolean).join(': ')}` };
    }
    return { error: (e as Error).message };
  }
}
