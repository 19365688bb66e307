/**
 * The listening side of lioha-portald: one TCP server per discovery portal,
 * connection limits (total and per initiator address), a login deadline and
 * an idle timeout per connection, and a bound on unsent output.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { plainAddress } from '../../lib/iscsi/address.js';
import type { DiscoveryPortal, PortaldConfig } from '../../lib/portald/config.js';
import type { Directory, RoundRobin } from './directory.js';
import { PortalSession, type SessionLog } from './session.js';

/** Unsent bytes tolerated per connection (an initiator that never reads). */
const MAX_UNSENT = 1 << 20;

export interface PortalServerDeps {
  readonly directory: Directory;
  readonly roundRobin: RoundRobin;
  readonly log: SessionLog & { error(o: object, msg: string): void };
}

export class PortalServer {
  private readonly servers = new Map<string, { server: Server; portal: DiscoveryPortal }>();
  private readonly sockets = new Set<Socket>();
  private readonly perAddress = new Map<string, number>();
  private tsih = 0;
  private refused = 0;

  constructor(private config: PortaldConfig, private readonly deps: PortalServerDeps) {}

  get stats(): { connections: number; addresses: number; refused: number; listeners: number } {
    return { connections: this.sockets.size, addresses: this.perAddress.size, refused: this.refused, listeners: this.servers.size };
  }

  /** Listens on every configured portal; resolves once all are bound. */
  async start(): Promise<void> {
    await this.apply(this.config);
  }

  /** Switches to a new configuration: listeners added or removed as needed; live connections keep the old one. */
  async apply(config: PortaldConfig): Promise<void> {
    this.config = config;
    const want = new Map(config.portals.map((p) => [`${p.address}|${p.port}`, p]));
    for (const [k, s] of this.servers) {
      if (!want.has(k)) {
        s.server.close();
        this.servers.delete(k);
      }
    }
    for (const [k, p] of want) {
      const cur = this.servers.get(k);
      if (cur) {
        cur.portal = p;
        continue;
      }
      const entry = { server: createServer({ noDelay: true, pauseOnConnect: false }), portal: p };
      entry.server.on('connection', (s) => this.accept(s, entry.portal));
      entry.server.maxConnections = config.limits.maxConnections;
      await new Promise<void>((resolve, reject) => {
        entry.server.once('error', reject);
        entry.server.listen({ host: p.address, port: p.port, backlog: 511 }, () => {
          entry.server.removeListener('error', reject);
          entry.server.on('error', (e) => this.deps.log.error({ err: e.message, portal: k }, 'listener error'));
          resolve();
        });
      });
      this.servers.set(k, entry);
    }
  }

  /** The port actually bound (for tests that listen on port 0). */
  boundPort(address: string, port: number): number {
    const s = this.servers.get(`${address}|${port}`);
    const a = s?.server.address();
    return a && typeof a === 'object' ? a.port : port;
  }

  async stop(): Promise<void> {
    const closing = [...this.servers.values()].map((s) => new Promise<void>((r) => s.server.close(() => r())));
    this.servers.clear();
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
  }

  private accept(sock: Socket, portal: DiscoveryPortal): void {
    const limits = this.config.limits;
    const remote = plainAddress(sock.remoteAddress ?? '?');
    const n = this.perAddress.get(remote) ?? 0;
    if (this.sockets.size >= limits.maxConnections || n >= limits.maxConnectionsPerAddress) {
      this.refused++;
      this.deps.log.warn({ remote, connections: this.sockets.size }, 'connection limit reached; refusing');
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    this.perAddress.set(remote, n + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.sockets.delete(sock);
      const m = (this.perAddress.get(remote) ?? 1) - 1;
      if (m <= 0) this.perAddress.delete(remote);
      else this.perAddress.set(remote, m);
    };
    const loginTimer = setTimeout(() => {
      this.deps.log.debug({ remote }, 'login not finished in time; closing');
      sock.destroy();
    }, limits.loginTimeoutSeconds * 1000);
    const session = new PortalSession(
      {
        send: (b) => {
          if (sock.writableLength > MAX_UNSENT) {
            sock.destroy();
            return;
          }
          sock.write(b);
        },
        close: () => sock.end(),
        loggedIn: () => {
          clearTimeout(loginTimer);
          sock.setTimeout(limits.idleTimeoutSeconds * 1000);
        },
        localAddress: plainAddress(sock.localAddress ?? portal.address),
        localPort: sock.localPort ?? portal.port,
        remoteAddress: remote,
        log: this.deps.log,
      },
      {
        config: this.config,
        portal,
        directory: this.deps.directory,
        roundRobin: this.deps.roundRobin,
        newTsih: () => (this.tsih = (this.tsih % 0xffff) + 1),
      },
    );
    sock.on('data', (b: Buffer) => session.receive(b));
    sock.on('timeout', () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('end', () => sock.end());
    sock.on('close', () => {
      clearTimeout(loginTimer);
      session.closedByPeer();
      release();
    });
  }
}
