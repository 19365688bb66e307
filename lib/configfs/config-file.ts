/**
 * Reading a target's configuration from disk: a targetcli saveconfig.json, or a directory of
 * per-group *.json files merged into one. Shared by the target agent (which reads it on every
 * start) and `lioha cluster check` (which compares the groups' configurations). OCF-free: a
 * missing file or one with secrets open to others is a Failure of kind 'installed' (this node's
 * problem), content that is not a configuration a ConfigError.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Failure } from '../failure.js';
import { ConfigError, hasSecrets, mergeSaveConfigs, parseSaveConfig, type SaveConfig } from './saveconfig.js';

/**
 * Largest configuration read (all files of a directory together) and secrets file. A saveconfig.json
 * for thousands of LUNs is a few MB; anything near this is not a configuration, and reading it would
 * cost the action its memory and time.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function tooLarge(path: string, bytes: number): ConfigError {
  return new ConfigError([`${path} is ${(bytes / 1024 / 1024).toFixed(1)} MiB, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB a configuration may be`]);
}

export function privateEnough(mode: number): boolean {
  return (mode & 0o077) === 0;
}

/**
 * `path` names the configuration in messages; `hostPath` is where it is read (under the agent's root).
 * Synchronous reads on purpose: these are a few small local files, and the first use of
 * fs.promises loads Node's promise-based fs module, a tenth of a monitor's CPU time.
 */
export function readConfig(path: string, hostPath: string): SaveConfig {
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
