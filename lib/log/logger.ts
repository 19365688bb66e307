import { appendFileSync } from 'node:fs';
import { writeFd } from './write-fd.js';
import { formatPlain, formatTerminal, redact, type Level, type LogRecord } from './format.js';

export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  child(fields: object): Logger;
  /** Resolves when every record so far is written. Dispatch awaits it before exiting. */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  agent: string;
  instance: string;
  action: string;
  level?: Level;
  /** Keys whose values are never written (CHAP passwords and the like). */
  secrets?: Iterable<string>;
  /** Where lines go; default: stderr, which pacemaker-execd copies into the Pacemaker log. */
  write?: (line: string) => void;
  terminal?: boolean;
  /** Also append plain lines of info and above here (HA_LOGFILE, as ocf_log does). */
  logFile?: string;
  /** Also append plain lines of every level here (HA_DEBUGLOG, as ocf_log does; once if it is logFile too). */
  debugLogFile?: string;
}

/** The log files ocf_log writes: HA_LOGFILE (info and above) and HA_DEBUGLOG (everything). */
export function logFilesFromEnv(env: NodeJS.ProcessEnv): Pick<LoggerOptions, 'logFile' | 'debugLogFile'> {
  return { ...(env.HA_LOGFILE ? { logFile: env.HA_LOGFILE } : {}), ...(env.HA_DEBUGLOG ? { debugLogFile: env.HA_DEBUGLOG } : {}) };
}

const ORDER: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * A logger for short-lived agent processes: each record is formatted directly
 * into one line and written synchronously, so a line is out before the process
 * exits or is killed, and nothing is loaded for it (pino, with its JSON round
 * trip, stays with long-running daemons).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const threshold = ORDER[opts.level ?? 'info'];
  const secrets = new Set(opts.secrets ?? []);
  const write = opts.write ?? writeStderr;
  const terminal = opts.terminal ?? false;

  const emitRecord = (level: Level, msg: string, fields: Record<string, unknown>) => {
    const r: LogRecord = { level, msg, agent: opts.agent, instance: opts.instance, action: opts.action, fields: redact(fields, secrets) };
    try {
      write(terminal ? formatTerminal(r) : formatPlain(r));
    } catch {
      /* a closed stderr must not fail the action */
    }
    const files = new Set<string>();
    if (opts.logFile && r.level !== 'debug') files.add(opts.logFile);
    if (opts.debugLogFile) files.add(opts.debugLogFile);
    for (const f of files) {
      try {
        appendFileSync(f, `${new Date().toISOString()} ${formatPlain(r)}\n`);
      } catch {
        /* a log file we cannot write must not fail the action */
      }
    }
  };

  const make = (bound: Record<string, unknown>): Logger => {
    const emit = (level: Level) => (msg: string, fields?: object) => {
      if (ORDER[level] < threshold) return;
      emitRecord(level, msg, { ...bound, ...(fields as Record<string, unknown>) });
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (fields) => make({ ...bound, ...(fields as Record<string, unknown>) }),
      flush: () => Promise.resolve(),
    };
  };
  return make({});
}

/** Straight to fd 2, synchronously (see writeFd). */
function writeStderr(line: string): void {
  writeFd(2, `${line}\n`);
}

/** Level from the environment: LIOHA_LOG_LEVEL, or debug when Pacemaker asks for a trace (OCF_TRACE_RA). */
export function levelFromEnv(env: NodeJS.ProcessEnv): Level {
  const l = env.LIOHA_LOG_LEVEL as Level | undefined;
  if (l && l in ORDER) return l;
  return env.OCF_TRACE_RA && env.OCF_TRACE_RA !== '0' ? 'debug' : 'info';
}
