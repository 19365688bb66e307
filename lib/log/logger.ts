import { appendFileSync } from 'node:fs';
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
const PINO_LEVEL: Record<number, Level> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };

type PinoLogger = { [L in Level]: (obj: object, msg: string) => void };

/**
 * A logger that costs nothing until a record at an enabled level is written:
 * pino is loaded on the first one (a quiet monitor never loads it). Records are
 * structured by pino and rendered by our own sink into one line per record.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const threshold = ORDER[opts.level ?? 'info'];
  const secrets = new Set(opts.secrets ?? []);
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const terminal = opts.terminal ?? false;
  let pino: Promise<PinoLogger> | undefined;
  let pending: Promise<void> = Promise.resolve();

  const sink = (json: string) => {
    const rec = JSON.parse(json) as Record<string, unknown>;
    const { level, msg, time: _t, agent: _a, instance: _i, action: _c, ...fields } = rec;
    const r: LogRecord = {
      level: PINO_LEVEL[level as number] ?? 'info',
      msg: String(msg ?? ''),
      agent: opts.agent,
      instance: opts.instance,
      action: opts.action,
      fields: redact(fields, secrets),
    };
    write(terminal ? formatTerminal(r) : formatPlain(r));
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

  const load = () =>
    (pino ??= import('pino').then(({ default: createPino }) =>
      createPino(
        { level: 'debug', base: undefined, timestamp: false },
        { write: (s: string) => s.split('\n').filter(Boolean).forEach(sink) },
      ) as unknown as PinoLogger,
    ));

  const make = (bound: object): Logger => {
    const emit = (level: Level) => (msg: string, fields?: object) => {
      if (ORDER[level] < threshold) return;
      const obj = { ...bound, ...fields };
      pending = pending.then(() => load().then((p) => p[level](obj, msg))).catch((e: unknown) => {
        write(`lioha-${opts.agent}(${opts.instance}) logging failed: ${String(e)}; ${level}: ${msg}`);
      });
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (fields) => make({ ...bound, ...fields }),
      flush: () => pending,
    };
  };
  return make({});
}

/** Level from the environment: LIOHA_LOG_LEVEL, or debug when Pacemaker asks for a trace (OCF_TRACE_RA). */
export function levelFromEnv(env: NodeJS.ProcessEnv): Level {
  const l = env.LIOHA_LOG_LEVEL as Level | undefined;
  if (l && l in ORDER) return l;
  return env.OCF_TRACE_RA && env.OCF_TRACE_RA !== '0' ? 'debug' : 'info';
}
