/**
 * Loads what a `target` resource wants: the saveconfig.json (a file, or a directory of
 * per-group files), an optional separate CHAP secrets file, and the ownership selection.
 * Files that hold secrets must not be readable by group or others.
 */
import { Failure } from '../../lib/failure.js';
import { iscsiNameProblem } from '../../lib/names.js';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../lib/configfs/saveconfig.js';
import { MAX_CONFIG_BYTES, privateEnough, readConfig, tooLarge } from '../../lib/configfs/config-file.js';
import { parseSecrets, selectDesired, type Secrets } from '../../lib/configfs/desired.js';
import type { DesiredState } from '../../lib/configfs/model.js';

export interface TargetSettings {
  iqns: string[];
  config: string;
  secrets?: string;
  deriveWwn: boolean;
}


/**
 * The targets a resource owns, from its iqn list parameter: duplicates dropped, every name
 * checked (it becomes a configfs directory: a '/' or '..' would leave configfs).
 */
export function targetNames(iqns: readonly string[]): string[] {
  for (const iqn of iqns) {
    const problem = iscsiNameProblem(iqn);
    if (problem) throw new Failure('config', `parameter iqn: "${iqn.slice(0, 64)}" ${problem}`.slice(0, 128));
  }
  return [...new Set(iqns)];
}

function readSecretsFile(path: string, hostPath: string): Secrets {
  let st;
  try {
    st = statSync(hostPath);
  } catch {
    throw new Failure('installed', `secrets file ${path} does not exist`);
  }
  if (!privateEnough(st.mode)) throw new Failure('installed', `secrets file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}; chmod 600 it)`);
  if (st.size > MAX_CONFIG_BYTES) throw tooLarge(`secrets file ${path}`, st.size);
  return parseSecrets(readFileSync(hostPath, 'utf8'), path);
}

/** `debug` receives what the configuration holds that this resource ignores (objects it does not own). */
export async function loadDesired(s: TargetSettings, rootPath: (abs: string) => string, debug?: (msg: string) => void): Promise<DesiredState> {
  if (!s.iqns.length) throw new ConfigError(['parameter iqn names no target']);
  const cfg = readConfig(s.config, rootPath(s.config));
  const secrets = s.secrets ? readSecretsFile(s.secrets, rootPath(s.secrets)) : undefined;
  const desired = selectDesired(cfg, s.iqns, { deriveWwn: s.deriveWwn, ...(secrets ? { secrets } : {}) });
  if (debug) {
    for (const note of cfg.ignored) debug(note);
    for (const [key, ps] of cfg.broken) if (!desired.targets.has(key) && !desired.storageObjects.has(key as never)) debug(`not owned, not checked: ${ps[0]!.text}`);
  }
  return desired;
}
