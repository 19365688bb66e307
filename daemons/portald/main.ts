/**
 * lioha-portald: the discovery portal daemon.
 *
 *   lioha-portald --config /etc/lioha/portald.json [--pidfile FILE] [--log-level info]
 *   lioha-portald --config FILE --check        validate and exit (0 valid, 1 not)
 *
 * Logs JSON lines (pino) on stderr. Writes the pidfile only once every portal
 * listens, so whoever started it knows it is ready. SIGTERM/SIGINT: stop.
 * SIGHUP: re-read the configuration (a broken one is refused and the old one
 * kept) and forget cached back-end answers. SIGUSR1: forget cached answers.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { discoverTargets } from '../../lib/iscsi/initiator.js';
import { ConfigError, hasSecrets, parseConfig, type PortaldConfig } from '../../lib/portald/config.js';
import { Directory, RoundRobin } from './directory.js';
import { PortalServer } from './server.js';

declare const LIOHA_VERSION: string | undefined;

function loadConfig(path: string): PortaldConfig {
  const text = readFileSync(path, 'utf8');
  const cfg = parseConfig(text, path);
  if (hasSecrets(cfg) && (statSync(path).mode & 0o077) !== 0) {
    throw new ConfigError([`$.chap: ${path} holds CHAP secrets and must not be readable by group or others (chmod 600)`], path);
  }
  return cfg;
}

/** Pidfile via an O_EXCL temp file and rename, so nobody reads half a pid. */
function writePidfile(path: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean', default: false },
      pidfile: { type: 'string', short: 'p' },
      'log-level': { type: 'string', default: 'info' },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: lioha-portald --config FILE [--check] [--pidfile FILE] [--log-level LEVEL]\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${typeof LIOHA_VERSION === 'string' ? LIOHA_VERSION : 'dev'}\n`);
    return 0;
  }
  if (!values.config) {
    process.stderr.write('lioha-portald: --config FILE is required\n');
    return 2;
  }
  const configPath = values.config;
  let config: PortaldConfig;
  try {
    config = loadConfig(configPath);
  } catch (e) {
    process.stderr.write(`lioha-portald: ${e instanceof ConfigError ? e.message : `${configPath}: ${(e as Error).message}`}\n`);
    return 1;
  }
  if (values.check) {
    process.stdout.write(`${configPath}: valid (${config.portals.length} discovery portal(s))\n`);
    return 0;
  }

  const log = pino({ name: 'lioha-portald', level: values['log-level'], base: { pid: process.pid } }, pino.destination(2));
  const directory = new Directory({
    stateSeconds: config.stateSeconds,
    backendTimeoutMs: config.backendTimeoutMs,
    maxBackendQueries: config.limits.maxBackendQueries,
    ...(config.backendChap && { backendChap: config.backendChap }),
    discover: (o) => discoverTargets(o),
    onBackendError: (backend, initiator, err) => log.warn({ backend, initiator, err: err.message }, 'back-end portal did not answer SendTargets'),
  });
  const roundRobin = new RoundRobin(600_000);
  const server = new PortalServer(config, { directory, roundRobin, log });
  try {
    await server.start();
  } catch (e) {
    log.error({ err: (e as Error).message }, 'cannot listen');
    process.stderr.write(`lioha-portald: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  if (values.pidfile) writePidfile(values.pidfile);
  log.info({ portals: config.portals.map((p) => `${p.address}:${p.port}`), version: typeof LIOHA_VERSION === 'string' ? LIOHA_VERSION : 'dev' }, 'ready');

  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'stopping');
    void server.stop().finally(() => {
      if (values.pidfile) {
        try {
          if (readFileSync(values.pidfile, 'utf8').trim() === String(process.pid)) rmSync(values.pidfile, { force: true });
        } catch {
          // already gone
        }
      }
      log.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGUSR1', () => {
    directory.flush();
    log.info({}, 'cached back-end answers dropped');
  });
  process.on('SIGHUP', () => {
    let next: PortaldConfig;
    try {
      next = loadConfig(configPath);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'reload refused; keeping the running configuration');
      return;
    }
    server.apply(next).then(
      () => {
        directory.flush();
        log.info({ portals: next.portals.map((p) => `${p.address}:${p.port}`) }, 'configuration reloaded');
      },
      (e: unknown) => log.error({ err: (e as Error).message }, 'reload: cannot listen on a new portal'),
    );
  });
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`lioha-portald: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
