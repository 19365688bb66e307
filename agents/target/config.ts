/**
 * Loads what a `target` resource wants: the saveconfig.json (a file, or a directory of
 * per-group files), an optional separate CHAP secrets file, and the ownership selection.
 * Files that hold secrets must not be readable by group or others.
 */
import { Failure } from '../../lib/failure.js';
import { iscsiNameProblem } from '../../lib/names.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, hasSecrets, mergeSaveConfigs, parseSaveConfig, type SaveConfig } from '../../lib/configfs/saveconfig.js';
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

/**
 * Largest configuration read (all files of a directory together) and secrets file. A saveconfig.json
 * for thousands of LUNs is a few MB; anything near this is not a configuration, and reading it would
 * cost the action its memory and time.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

function tooLarge(path: string, bytes: number): ConfigError {
  return new ConfigError([`${path} is ${(bytes / 1024 / 1024).toFixed(1)} MiB, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB a configuration may be`]);
}

function privateEnough(mode: number): boolean {
  return (mode & 0o077) === 0;
}

/*
 * Synchronous reads on purpose: these are a few small local files, and the first use of
 * fs.promises loads Node's promise-based fs module, a tenth of a monitor's CPU time.
 */
function readConfig(path: string, hostPath: string): SaveConfig {
  let st;
  try {
    st = statSync(hostPath);
  } catch {
    throw new Failure('installed', `configuration ${path} does not exist`);
  }
  const files: [string, string][] = [];
  if (st.isDirectory()) {
    const names = readdirSync(hostPath).filter((n) => n.endsWith('.json')).sort();
    // Files and their modes are this node's (5: the peer may have them right); their content is the configuration (6).
    if (!names.length) throw new Failure('installed', `configuration ${path} holds no *.json file`);
    for (const n of names) files.push([`${path}/${n}`, join(hostPath, n)]);
  } else {
    files.push([path, hostPath]);
  }
  let total = 0;
  for (const [shown, host] of files) {
    total += statSync(host).size;
    if (total > MAX_CONFIG_BYTES) throw tooLarge(files.length > 1 ? path : shown, total);
  }
  const parts: SaveConfig[] = [];
  for (const [shown, host] of files) {
    const part = parseSaveConfig(readFileSync(host, 'utf8'), shown);
    if (hasSecrets(part) && !privateEnough(statSync(host).mode)) {
      throw new Failure('installed', `${shown} holds CHAP passwords but is readable by group or others (chmod 600 it)`);
    }
    parts.push(part);
  }
  return parts.length === 1 ? parts[0]! : mergeSaveConfigs(parts);
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
