/**
 * What each agent gives the conformance harness: parameters that make a
 * startable resource, and a fixture tree (kernel interfaces, state) under a
 * temporary root. Every built agent must have test/conformance/fixtures/<name>.ts.
 */
export interface ConformanceFixture {
  params: Record<string, string>;
  /** Build the fixture tree under root (the agent runs with LIOHA_ROOT=root). */
  prepare(root: string): Promise<void>;
  /** Extra environment, e.g. LIOHA_PATH pointing at command doubles. */
  env?: Record<string, string>;
  /** Undo anything prepare() did outside root (network links, namespaces). */
  cleanup?(root: string): Promise<void>;
}
