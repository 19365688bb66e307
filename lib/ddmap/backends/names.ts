/**
 * The change-map backends the agent can use. Kept apart from the backend code so
 * the agent definition (imported at build time for meta-data) stays light.
 * Adding a backend: a module under lib/ddmap/backends/, a name here, a line in
 * registry.ts. The agent itself does not change.
 */
export const BACKEND_NAMES = ['iet', 'era'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
