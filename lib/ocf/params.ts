import type { AgentDefinition, ParameterDef } from './definition.js';
import { OcfExit } from './exit-codes.js';
import { Failure } from '../failure.js';

const TRUE = new Set(['1', 'true', 'yes', 'on', 'y']);
const FALSE = new Set(['0', 'false', 'no', 'off', 'n']);

/** Parse one parameter's text as OCF shell agents do (ocf_is_true), strictly. */
export function parseValue(def: ParameterDef, raw: string): string | number | boolean {
  switch (def.type) {
    case 'integer': {
      if (!/^[+-]?\d+$/.test(raw.trim())) {
        throw new Failure('args', `parameter ${def.name}: '${shown(def, raw)}' is not an integer`);
      }
      return Number.parseInt(raw.trim(), 10);
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw new Failure('args', `parameter ${def.name}: '${shown(def, raw)}' is not a boolean (use true or false)`);
    }
    case 'select': {
      const options = def.options ?? [];
      if (!options.includes(raw)) {
        throw new Failure('config', `parameter ${def.name}: '${shown(def, raw)}' is not one of ${options.join(', ')}`,
        );
      }
      return raw;
    }
    default:
      return raw;
  }
}

function shown(def: ParameterDef, raw: string): string {
  return def.secret ? '***' : raw;
}

/**
 * Typed parameters from OCF_RESKEY_*. An empty value counts as unset, as in the
 * shell agents. Missing required -> ERR_CONFIGURED; malformed -> ERR_ARGS.
 */
export function parseParams(def: AgentDefinition, env: NodeJS.ProcessEnv): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const p of def.parameters) {
    const raw = env[`OCF_RESKEY_${p.name}`];
    if (raw === undefined || raw === '') {
      if (p.required) {
        throw new Failure('config', `required parameter ${p.name} is not set`);
      }
      if (p.default !== undefined) out[p.name] = p.default;
      continue;
    }
    out[p.name] = parseValue(p, raw);
  }
  return out;
}

/** Names of secret parameters, so loggers can redact them. */
export function secretNames(def: AgentDefinition): string[] {
  return def.parameters.filter((p) => p.secret).map((p) => p.name);
}
