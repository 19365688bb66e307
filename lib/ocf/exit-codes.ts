/** OCF exit codes (resource-agent-api 1.1 plus Pacemaker's degraded codes). */
export enum OcfExit {
  SUCCESS = 0,
  ERR_GENERIC = 1,
  ERR_ARGS = 2,
  ERR_UNIMPLEMENTED = 3,
  ERR_PERM = 4,
  ERR_INSTALLED = 5,
  ERR_CONFIGURED = 6,
  NOT_RUNNING = 7,
  RUNNING_PROMOTED = 8,
  FAILED_PROMOTED = 9,
  /** Pacemaker treats 190/191 as success and marks the resource degraded. */
  DEGRADED = 190,
  DEGRADED_PROMOTED = 191,
}

export function exitName(code: number): string {
  return OcfExit[code] ?? `UNKNOWN(${code})`;
}
