/** Backend name -> lazily loaded implementation (a monitor loads only the one it uses). */
import type { BackendOptions, ChangeMapBackend } from '../backend.js';
import type { BackendName } from './names.js';

const LOADERS: Record<BackendName, (o: BackendOptions) => Promise<ChangeMapBackend>> = {
  iet: async (o) => new (await import('./iet/backend.js')).IetBackend(o),
  era: async (o) => new (await import('./era/backend.js')).EraBackend(o),
};

export function loadBackend(name: BackendName, opts: BackendOptions): Promise<ChangeMapBackend> {
  const load = LOADERS[name];
  if (!load) throw new Error(`unknown ddmap backend ${JSON.stringify(name)}`);
  return load(opts);
}
