import type { AgentDefinition } from '../definition.js';
import { Failure } from '../failure.js';
import { splitList } from '../list.js';
import { parseValue } from '../param-value.js';

export { parseValue };

/**
 * Typed parameters from OCF_RESKEY_*. An empty value counts as unset, as in the
 * shell agents. Missing required -> ERR_CONFIGURED; malformed -> ERR_ARGS.
 */
export function parseParams(def: AgentDefinition, env: NodeJS.ProcessEnv): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const p of def.parameters) {
    const raw = env[`OCF_RESKEY_${p.name}`];
    if (!isSet(env, p.name)) {
      if (p.required) {
        throw new Failure('config', `required parameter ${p.name} is not set`);
      }
      if (p.default !== undefined) out[p.name] = p.type === 'list' ? splitList(String(p.default)) : p.default;
      continue;
    }
    out[p.name] = parseValue(p, raw!);
  }
  return out;
}

/** Whether the parameter was given (an empty value counts as unset): its parsed value is then not the default. */
export function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[`OCF_RESKEY_${name}`];
  return raw !== undefined && raw !== '';
}

/** Names of secret parameters, so loggers can redact them. */
export function secretNames(def: AgentDefinition): string[] {
  return def.parameters.filter((p) => p.secret).map((p) => p.name);
}
