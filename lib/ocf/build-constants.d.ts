/** Injected by scripts/build.ts: the agent's meta-data XML, generated from its definition. */
declare const LIOHA_METADATA: string;
/** Injected by scripts/build.ts: the package version. */
declare const LIOHA_VERSION: string;
