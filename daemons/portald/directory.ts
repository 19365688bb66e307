/**
 * What the back-end portals report, per initiator: each initiator's view is
 * fetched with SendTargets=All under the initiator's own name, so LIO's ACLs
 * (with demo_mode_discovery=0) decide what it sees. Views live for
 * `stateSeconds` (the seed's 5 s): short enough that a target that moved in a
 * failover is found at its new portal on the next login. Identical queries in
 * flight are shared; back-end connections are bounded.
 */
import type { PortalAddress } from '../../lib/iscsi/address.js';
import type { InitiatorOptions } from '../../lib/iscsi/initiator.js';
import type { DiscoveredTarget } from '../../lib/iscsi/sendtargets.js';
import type { ChapConfig, DiscoveryPortal } from '../../lib/portald/config.js';

export type Discover = (o: InitiatorOptions) => Promise<DiscoveredTarget[]>;

export interface View {
  /** Target name -> the back-end portals serving it, de-duplicated, in report order. */
  readonly targets: ReadonlyMap<string, readonly PortalAddress[]>;
  /** Back-ends that did not answer (their targets may be missing from the view). */
  readonly failed: readonly string[];
}

export class BusyError extends Error {}
export class NoBackendError extends Error {}

export interface DirectoryOptions {
  readonly stateSeconds: number;
  readonly backendTimeoutMs: number;
  readonly maxBackendQueries: number;
  readonly backendChap?: ChapConfig;
  readonly discover: Discover;
  readonly now?: () => number;
  /** Most cached views (one per discovery portal and initiator). */
  readonly maxViews?: number;
  readonly onBackendError?: (backend: string, initiator: string, error: Error) => void;
}

const key = (a: { host: string; port: number }): string => `${a.host}|${a.port}`;
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The portals serving a target: what the back-ends reported, kept to the
 * configured back-end addresses (LIO lists every network portal of a TPG,
 * replication networks included). When none of the reported addresses is a
 * configured back-end, the back-ends that reported it are used instead.
 */
export function servingPortals(
  reports: readonly { backend: PortalAddress; target: DiscoveredTarget }[], backends: readonly PortalAddress[],
): PortalAddress[] {
  const configured = new Set(backends.map(key));
  const out = new Map<string, PortalAddress>();
  const reporters = new Map<string, PortalAddress>();
  for (const { backend, target } of reports) {
    reporters.set(key(backend), backend);
    for (const a of target.addresses) {
      const addr = WILDCARD.has(a.host) ? { ...a, host: backend.host } : a;
      if (configured.has(key(addr)) && !out.has(key(addr))) out.set(key(addr), { host: addr.host, port: addr.port, tag: a.tag ?? 1 });
    }
  }
  if (out.size === 0) for (const [k, b] of reporters) out.set(k, { ...b, tag: 1 });
  return [...out.values()];
}

export class Directory {
  private readonly views = new Map<string, { at: number; view: View }>();
  private readonly inflight = new Map<string, Promise<View>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly o: DirectoryOptions) {
    this.now = o.now ?? Date.now;
  }

  get size(): { views: number; inflight: number; active: number; waiting: number } {
    return { views: this.views.size, inflight: this.inflight.size, active: this.active, waiting: this.waiting.length };
  }

  /** Forget every view (after a reload, or when told a failover happened). */
  flush(): void {
    this.views.clear();
  }

  async view(portal: DiscoveryPortal, initiator: string): Promise<View> {
    const k = `${portal.address}|${portal.port}|${initiator}`;
    const cached = this.views.get(k);
    if (cached && this.now() - cached.at < this.o.stateSeconds * 1000) return cached.view;
    let p = this.inflight.get(k);
    if (!p) {
      p = this.fetch(portal, initiator).finally(() => this.inflight.delete(k));
      this.inflight.set(k, p);
    }
    const view = await p;
    this.views.delete(k);
    this.views.set(k, { at: this.now(), view });
    this.evict();
    return view;
  }

  private evict(): void {
    const max = this.o.maxViews ?? 10000;
    const now = this.now();
    for (const [k, v] of this.views) {
      if (this.views.size <= max && now - v.at < this.o.stateSeconds * 1000) break;
      this.views.delete(k);
    }
  }

  private async fetch(portal: DiscoveryPortal, initiator: string): Promise<View> {
    const reports: { backend: PortalAddress; target: DiscoveredTarget }[] = [];
    const failed: string[] = [];
    await Promise.all(
      portal.backends.map(async (b) => {
        try {
          const targets = await this.limited(() =>
            this.o.discover({
              host: b.host,
              port: b.port,
              initiatorName: initiator,
              timeoutMs: this.o.backendTimeoutMs,
              ...(this.o.backendChap && {
                chap: {
                  username: this.o.backendChap.username,
                  password: this.o.backendChap.password,
                  ...(this.o.backendChap.mutualUsername && {
                    mutual: { username: this.o.backendChap.mutualUsername, password: this.o.backendChap.mutualPassword! },
                  }),
                },
              }),
            }),
          );
          for (const t of targets) reports.push({ backend: b, target: t });
        } catch (e) {
          failed.push(`${b.host}:${b.port}`);
          this.o.onBackendError?.(`${b.host}:${b.port}`, initiator, e as Error);
        }
      }),
    );
    if (failed.length === portal.backends.length) throw new NoBackendError(`no back-end portal answered (${failed.join(', ')})`);
    const byName = new Map<string, { backend: PortalAddress; target: DiscoveredTarget }[]>();
    for (const r of reports) byName.set(r.target.name, [...(byName.get(r.target.name) ?? []), r]);
    const targets = new Map<string, PortalAddress[]>();
    for (const [name, rs] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      targets.set(name, servingPortals(rs, portal.backends));
    }
    return { targets, failed };
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.o.maxBackendQueries) {
      if (this.waiting.length >= this.o.maxBackendQueries * 4) throw new BusyError('too many back-end queries waiting');
      await new Promise<void>((r) => this.waiting.push(r));
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Round robin per initiator and target (the seed's last_portal_index): each
 * login of one initiator to one target gets the next portal serving it.
 * Entries are dropped after `ttlMs` without use; the map is bounded.
 */
export class RoundRobin {
  private readonly next = new Map<string, { i: number; at: number }>();
  constructor(private readonly ttlMs: number, private readonly max = 10000, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.next.size;
  }

  pick<T>(initiator: string, target: string, portals: readonly T[]): T | undefined {
    if (portals.length === 0) return undefined;
    const k = `${initiator}|${target}`;
    const e = this.next.get(k);
    const fresh = e && this.now() - e.at < this.ttlMs;
    const i = fresh ? e.i : 0;
    this.next.delete(k);
    this.next.set(k, { i: i + 1, at: this.now() });
    while (this.next.size > this.max) this.next.delete(this.next.keys().next().value!);
    return portals[i % portals.length];
  }
}
