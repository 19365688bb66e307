/**
 * Where `lioha backup --changes era` finds the dm-era API (lib/ddmap/backends/era/api.ts). Loaded
 * only when a backup asks for era changes, so other backups never load the era backend.
 */
import type { EraFunctions } from './era-source.js';

export interface EraLink {
  functions: EraFunctions<unknown>;
  env(timeoutMs: number): unknown;
}

export async function loadEraLink(): Promise<EraLink | string> {
  const api = await import('../ddmap/backends/era/api.js');
  const { Root } = await import('../sys/root.js');
  return {
    functions: { ...api, isMismatch: (e: unknown) => e instanceof api.EraMismatchError } as unknown as EraFunctions<unknown>,
    env: (timeoutMs: number) => ({ root: new Root('/'), timeoutMs }),
  };
}
