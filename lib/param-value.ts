/** One parameter value from its text, by the parameter's declared type (lib/definition.ts). Pure. */
import type { ParameterDef } from './definition.js';
import { Failure } from './failure.js';
import { splitList } from './list.js';

const TRUE = new Set(['1', 'true', 'yes', 'on', 'y']);
const FALSE = new Set(['0', 'false', 'no', 'off', 'n']);

/** Parse one parameter's text as OCF shell agents do (ocf_is_true), strictly. */
export function parseValue(def: ParameterDef, raw: string): string | number | boolean | string[] {
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
    case 'list':
      return splitList(raw);
    default:
      return raw;
  }
}

function shown(def: ParameterDef, raw: string): string {
  return def.secret ? '***' : raw;
}

