/** An in-process lioha-portald on loopback in front of fake targets, for tests and benchmarks. */
import { parseConfig, type PortaldConfig } from '../../lib/portald/config.js';
import { Directory, RoundRobin } from '../../daemons/portald/directory.js';
import { PortalServer } from '../../daemons/portald/server.js';
import { discoverTargets } from '../../lib/iscsi/initiator.js';

export interface LogLine {
  level: string;
  msg: string;
  o: Record<string, unknown>;
}

export class Portald {
  readonly lines: LogLine[] = [];
  readonly directory: Directory;
  readonly server: PortalServer;
  port = 0;

  constructor(readonly config: PortaldConfig) {
    const rec = (level: string) => (o: object, msg: string) => {
      if (this.lines.length < 10000) this.lines.push({ level, msg, o: o as Record<string, unknown> });
    };
    const log = { info: rec('info'), warn: rec('warn'), debug: () => undefined, error: rec('error') };
    this.directory = new Directory({
      stateSeconds: config.stateSeconds,
      backendTimeoutMs: config.backendTimeoutMs,
      maxBackendQueries: config.limits.maxBackendQueries,
      ...(config.backendChap && { backendChap: config.backendChap }),
      discover: (o) => discoverTargets(o),
    });
    this.server = new PortalServer(config, { directory: this.directory, roundRobin: new RoundRobin(600_000), log });
  }

  static async start(json: Record<string, unknown>): Promise<Portald> {
    const p = new Portald(parseConfig(JSON.stringify(json)));
    await p.server.start();
    const first = p.config.portals[0]!;
    p.port = p.server.boundPort(first.address, first.port);
    return p;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** A free port on 127.0.0.1 (the portal's TargetAddress must name the real port, so port 0 will not do). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
