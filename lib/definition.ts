/**
 * The declarative description of an agent: everything meta-data says, and what
 * parameter parsing and dispatch need. Imported at build time (meta-data XML) and
 * at run time, so it must stay free of heavy imports.
 */
/** `list`: blank- or comma-separated items, advertised as string, parsed to string[] (lib/list.ts). */
export type ParamType = 'string' | 'integer' | 'boolean' | 'select' | 'list';

export interface ParameterDef {
  readonly name: string;
  readonly type: ParamType;
  /** Allowed values for `select`. */
  readonly options?: readonly string[];
  readonly required?: boolean;
  readonly default?: string | number | boolean;
  /** OCF 1.1 unique-group: parameters in one group must be unique together across resources. */
  readonly uniqueGroup?: string;
  readonly reloadable?: boolean;
  /** Never logged, never put into an exit reason. */
  readonly secret?: boolean;
  readonly deprecated?: { readonly replacedWith?: readonly string[]; readonly desc?: string };
  readonly shortdesc: string;
  readonly longdesc: string;
}

export type ActionName =
  | 'start' | 'stop' | 'monitor' | 'meta-data' | 'validate-all' | 'promote' | 'demote'
  | 'notify' | 'reload' | 'reload-agent' | 'migrate_to' | 'migrate_from';

export interface ActionDef {
  readonly name: ActionName;
  /** Seconds. */
  readonly timeout: number;
  /** Seconds; recurring monitors only. */
  readonly interval?: number;
  readonly depth?: number;
  readonly role?: 'Promoted' | 'Unpromoted';
  readonly startDelay?: number;
}

export interface AgentDefinition {
  readonly name: string;
  readonly version: string;
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly parameters: readonly ParameterDef[];
  readonly actions: readonly ActionDef[];
}

export function defineAgent<const D extends AgentDefinition>(d: D): D {
  return d;
}

type ValueOf<T extends ParamType> = T extends 'integer' ? number : T extends 'boolean' ? boolean : T extends 'list' ? string[] : string;
type IsSet<P> = P extends { required: true } ? true : P extends { default: string | number | boolean } ? true : false;
type Param<D extends AgentDefinition> = D['parameters'][number];

/** The typed parameter object an agent's actions receive. */
export type ParamsOf<D extends AgentDefinition> = {
  [P in Param<D> as IsSet<P> extends true ? P['name'] : never]: P extends { type: 'select'; options: readonly (infer O)[] }
    ? O
    : ValueOf<P['type']>;
} & {
  [P in Param<D> as IsSet<P> extends true ? never : P['name']]?: P extends { type: 'select'; options: readonly (infer O)[] }
    ? O
    : ValueOf<P['type']>;
};

/** The standard actions every agent advertises, for definitions to spread in. */
export function standardActions(t: { start: number; stop: number; monitor: number; interval: number }): ActionDef[] {
  return [
    { name: 'start', timeout: t.start },
    { name: 'stop', timeout: t.stop },
    { name: 'monitor', timeout: t.monitor, interval: t.interval, depth: 0 },
    { name: 'meta-data', timeout: 5 },
    { name: 'validate-all', timeout: 10 },
  ];
}
