import { fstatSync } from 'node:fs';
import type { AgentDefinition, ParamsOf } from '../definition.js';
import { OcfExit, exitName } from './exit-codes.js';
import { Failure, failureOf, fitReason, type FailureKind } from '../failure.js';
import { parseParams, secretNames } from './params.js';
import { invocation, type OcfContext } from './context.js';
import { usageText } from './usage.js';
import { writeFd } from '../log/write-fd.js';
import { createLogger, levelFromEnv, logFilesFromEnv, type Logger } from '../log/logger.js';

type Handler<P> = (ctx: OcfContext<P>) => Promise<OcfExit>;

export interface AgentActions<P> {
  start: Handler<P>;
  stop: Handler<P>;
  monitor: Handler<P>;
  /** validate-all; also run before start. Must not inspect the environment at check level 0 during probes. */
  validate?: Handler<P>;
  promote?: Handler<P>;
  demote?: Handler<P>;
  notify?: Handler<P>;
  reload?: Handler<P>;
  'reload-agent'?: Handler<P>;
}

const ACTION_HANDLER: Record<string, keyof AgentActions<unknown>> = {
  start: 'start',
  stop: 'stop',
  monitor: 'monitor',
  status: 'monitor',
  'validate-all': 'validate',
  promote: 'promote',
  demote: 'demote',
  notify: 'notify',
  reload: 'reload',
  'reload-agent': 'reload-agent',
};

export interface DispatchIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  terminal: boolean;
  logger?: Logger;
}

/** The one place where a kind of failure becomes an OCF exit code. */
const EXIT: Readonly<Record<FailureKind, OcfExit>> = {
  config: OcfExit.ERR_CONFIGURED,
  args: OcfExit.ERR_ARGS,
  installed: OcfExit.ERR_INSTALLED,
  permission: OcfExit.ERR_PERM,
  unimplemented: OcfExit.ERR_UNIMPLEMENTED,
  'not-running': OcfExit.NOT_RUNNING,
  hung: OcfExit.ERR_GENERIC,
  generic: OcfExit.ERR_GENERIC,
};

export function exitCodeOf(f: Failure): OcfExit {
  return EXIT[f.kind];
}

/**
 * Print an exit reason the way Pacemaker parses it (PCMK_OCF_REASON_PREFIX): one line that
 * Pacemaker's 128-character cut leaves whole (fitReason shortens the detail, not the verdict).
 */
export function exitReasonLine(reason: string, env: NodeJS.ProcessEnv): string {
  const prefix = env.OCF_EXIT_REASON_PREFIX || 'ocf-exit-reason:';
  return `${prefix}${fitReason(reason)}\n`;
}

/**
 * Run one OCF action and return its exit code. Pure with respect to process
 * state so tests can call it in-process; runAgent() wires it to the process.
 */
export async function dispatch<D extends AgentDefinition>(
  def: D,
  metadataXml: string,
  actions: AgentActions<ParamsOf<D>>,
  io: DispatchIo,
): Promise<number> {
  const action = io.argv[0];
  if (action === undefined) {
    io.stderr(usageText(def));
    return OcfExit.ERR_ARGS;
  }
  if (action === 'meta-data') {
    io.stdout(metadataXml);
    return OcfExit.SUCCESS;
  }
  if (action === 'usage' || action === 'help' || action === '--help' || action === '-h') {
    io.stdout(usageText(def));
    return OcfExit.SUCCESS;
  }
  const handlerName = ACTION_HANDLER[action];
  const handler = handlerName ? (actions as AgentActions<unknown>)[handlerName] : undefined;
  if (!handlerName || (!handler && !['validate-all', 'notify', 'reload-agent'].includes(action))) {
    io.stderr(exitReasonLine(`action '${action}' is not implemented by ${def.name}`, io.env));
    return OcfExit.ERR_UNIMPLEMENTED;
  }

  const inv = invocation(def, handlerName === 'monitor' ? 'monitor' : action, io.env);
  const log =
    io.logger ??
    createLogger({
      agent: def.name,
      instance: inv.instance,
      action,
      level: levelFromEnv(io.env),
      secrets: secretNames(def),
      terminal: io.terminal,
      ...logFilesFromEnv(io.env),
    });

  let code: number;
  try {
    const params = parseParams(def, io.env) as ParamsOf<D>;
    const ctx: OcfContext<ParamsOf<D>> = { ...inv, params, log, env: io.env };
    if (action === 'start' && actions.validate) {
      const v = await actions.validate(ctx);
      if (v !== OcfExit.SUCCESS) return await finish(v);
    }
    code = handler ? await handler(ctx) : OcfExit.SUCCESS;
  } catch (e) {
    // Failures of lib and agents, and of external commands (a missing command: not installed).
    const f = failureOf(e);
    if (f) {
      io.stderr(exitReasonLine(f.reason, io.env));
      // The whole story (an over-long reason, the command line, its stderr) goes to the log.
      if (f.detail !== undefined || fitReason(f.reason) !== f.reason) log.error(f.reason, f.detail !== undefined ? { detail: f.detail } : undefined);
      code = exitCodeOf(f);
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      io.stderr(exitReasonLine(`${action} failed unexpectedly: ${msg}`, io.env));
      log.error(`${action} failed unexpectedly: ${msg}`, { stack: e instanceof Error ? e.stack : undefined });
      code = OcfExit.ERR_GENERIC;
    }
  }
  return finish(code);

  async function finish(c: number): Promise<number> {
    // A recurring monitor stays quiet (and never loads the logger) unless it fails.
    if (handlerName !== 'monitor' || (c !== OcfExit.SUCCESS && c !== OcfExit.NOT_RUNNING && !inv.isProbe)) {
      log.info(`${inv.instance} ${action} : ${c} (${exitName(c)})`);
    } else {
      log.debug(`${inv.instance} ${action} : ${c} (${exitName(c)})`);
    }
    await log.flush();
    return c;
  }
}

/** A tty (character device other than /dev/null and friends, major 1) without touching process.stderr. */
function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && Math.floor(st.rdev / 256) !== 1;
  } catch {
    return false;
  }
}

/** The agent executable's main: run the action named in argv and exit with its code. */
export function runAgent<D extends AgentDefinition>(def: D, metadataXml: string, actions: AgentActions<ParamsOf<D>>): void {
  dispatch(def, metadataXml, actions, {
    argv: process.argv.slice(2),
    env: process.env,
    // Straight to the descriptors: process.stdout/stderr would load node:stream on every fork.
    stdout: (s) => writeFd(1, s),
    stderr: (s) => writeFd(2, s),
    // Not process.stderr.isTTY: creating the stderr stream loads node:stream and
    // costs ~6 ms on a pipe (how Pacemaker runs us), on every monitor.
    terminal: isTerminal(2),
  }).then(
    // Exit explicitly: a timed-out child stuck in the kernel must not keep the agent alive.
    (code) => process.exit(code),
    (e: unknown) => {
      writeFd(2, exitReasonLine(`internal error: ${String(e)}`, process.env));
      process.exit(OcfExit.ERR_GENERIC);
    },
  );
}
