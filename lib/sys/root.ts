import { join } from 'node:path';

/**
 * The filesystem root under which every kernel path resolves (configfs, /proc,
 * /sys, /dev, /etc/ha.d, state directories). '/' in production; a fixture tree
 * in tests.
 */
export class Root {
  readonly base: string;

  constructor(base = '/') {
    this.base = base === '' ? '/' : base;
  }

  get isHost(): boolean {
    return this.base === '/';
  }

  /** Resolve an absolute path under the root. */
  path(abs: string): string {
    if (!abs.startsWith('/')) throw new Error(`kernel path must be absolute: ${abs}`);
    return this.isHost ? abs : join(this.base, abs);
  }
}

/**
 * LIOHA_ROOT from the environment, or the Pacemaker meta attribute lioha-root
 * (meta attributes reach agents as OCF_RESKEY_CRM_meta_<name>, '-' as '_'),
 * which is how a sandboxed cluster points agents at a fixture tree.
 */
export function rootFromEnv(env: NodeJS.ProcessEnv): Root {
  return new Root(env.LIOHA_ROOT || env.OCF_RESKEY_CRM_meta_lioha_root || '/');
}
