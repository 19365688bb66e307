/** Injected by scripts/build.ts: the agent's meta-data XML, generated from its definition. */
declare const LIOHA_METADATA: string;
/** Injected by scripts/build.ts into the CLI: name and one-line description of every agent. */
declare const LIOHA_AGENTS: ReadonlyArray<{ name: string; shortdesc: string }>;
/** Injected by scripts/build.ts: the package version. */
declare const LIOHA_VERSION: string;
