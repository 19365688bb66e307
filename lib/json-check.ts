/**
 * The one small helper for checking parsed JSON documents (saveconfig.json, cluster
 * descriptions, secrets files): every problem names its JSON path, in one wording, and
 * all problems are collected so the admin fixes them in one go.
 */
export type Json = unknown;
export type JsonObject = Record<string, Json>;

export const isJsonObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `parent.key`, or `key` at the top of a document whose root path is ''. */
export const jsonPath = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

export class JsonCheck {
  readonly problems: string[] = [];
  /** `source`: prefixed to every problem (e.g. the file name), or '' for none. */
  constructor(private readonly source = '') {}
  bad(path: string, msg: string): void {
    this.problems.push(`${this.source ? `${this.source}: ` : ''}${path ? `${path}: ` : ''}${msg}`);
  }
  /** Keys of `o` outside `allowed`: "unknown field", optionally listing what is expected. */
  fields(o: JsonObject, path: string, allowed: readonly string[], listExpected = false): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.bad(jsonPath(path, k), `unknown field${listExpected ? ` (expected one of: ${allowed.join(', ')})` : ''}`);
    }
  }
}
