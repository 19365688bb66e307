/** The one Pacemaker call `lioha status` (and `lioha stats --cluster`) makes. */
import { run } from '../exec/run.js';
import { parseCrmMon, type ClusterStatus } from './crm-mon.js';

export const CRM_MON_ARGS = ['--output-as=xml', '--one-shot', '--include=all'] as const;

export async function readCluster(timeoutMs = 5000): Promise<{ cluster?: ClusterStatus; error?: string }> {
  try {
    const r = await run('crm_mon', CRM_MON_ARGS, { timeoutMs, okCodes: [0] });
    return { cluster: parseCrmMon(r.stdout) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
