/**
 * Where `lioha backup --changes era` finds the dm-era API (lib/ddmap/backends/era/api.ts,
 * issue 20 item 1, built on its own branch). Until that module is part of the build this
 * says so, and the command refuses `--changes era` with that reason instead of guessing.
 */
import type { EraFunctions } from './era-source.js';

export interface EraLink {
  functions: EraFunctions<unknown>;
  env(timeoutMs: number): unknown;
}

export async function loadEraLink(): Promise<EraLink | string> {
  return 'the dm-era backend (lib/ddmap/backends/era) is not part of this build';
}
