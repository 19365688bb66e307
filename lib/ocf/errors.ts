import { OcfExit } from './exit-codes.js';

/**
 * Thrown by an action to end it with an OCF code and an exit reason.
 * The reason is shown by Pacemaker (crm_mon, pcs status): keep it one line, name
 * the object and the problem, and never put a secret in it.
 */
export class OcfError extends Error {
  constructor(
    public readonly code: OcfExit,
    public readonly reason: string,
  ) {
    super(reason);
    this.name = 'OcfError';
  }
}

export const configError = (reason: string) => new OcfError(OcfExit.ERR_CONFIGURED, reason);
export const argsError = (reason: string) => new OcfError(OcfExit.ERR_ARGS, reason);
export const genericError = (reason: string) => new OcfError(OcfExit.ERR_GENERIC, reason);
export const notInstalled = (reason: string) => new OcfError(OcfExit.ERR_INSTALLED, reason);
