/**
 * Two network namespaces joined by a veth pair, for tests that need real
 * interfaces without touching the host's network. Addresses live only inside
 * the namespaces (192.0.2.0/24, 2001:db8::/64 documentation ranges).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Sh {
  code: number;
  out: string;
  err: string;
}

export function sh(cmd: string, args: string[], input?: string): Sh {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? (r.error ? String(r.error) : '') };
}

function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.err || r.out}`);
  return r.out;
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  const probe = `lioha-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const r = sh('ip', ['netns', 'add', probe]);
  if (r.code !== 0) return `ip netns add failed: ${r.err.trim()}`;
  sh('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface Pair {
  /** Namespace the agent runs in, and its peer. */
  a: string;
  b: string;
  /** Interface name inside both namespaces. */
  dev: string;
  macA: string;
  macB: string;
  inA(cmd: string, args: string[], input?: string): Sh;
  inB(cmd: string, args: string[], input?: string): Sh;
  /** A background process inside a; killed by destroy(). */
  spawnInA(cmd: string, args: string[]): ChildProcess;
  destroy(): void;
}

export function createPair(prefix = 'lioha-pt'): Pair {
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const a = `${prefix}-a-${id}`;
  const b = `${prefix}-b-${id}`;
  const tmpA = `lpa${randomBytes(4).toString('hex')}`;
  const tmpB = `lpb${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  const destroy = () => {
    for (const c of children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
    // Deleting a namespace deletes its veth end, and with it the peer.
    sh('ip', ['netns', 'del', a]);
    sh('ip', ['netns', 'del', b]);
  };
  try {
    must('ip', ['netns', 'add', a]);
    must('ip', ['netns', 'add', b]);
    must('ip', ['link', 'add', tmpA, 'netns', a, 'type', 'veth', 'peer', 'name', tmpB, 'netns', b]);
    const dev = 'eth0';
    for (const [ns, tmp, v4, v6] of [[a, tmpA, '192.0.2.1/24', '2001:db8::1/64'], [b, tmpB, '192.0.2.2/24', '2001:db8::2/64']] as const) {
      must('ip', ['-n', ns, 'link', 'set', tmp, 'name', dev]);
      must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      must('ip', ['-n', ns, 'addr', 'add', v4, 'dev', dev]);
      must('ip', ['-n', ns, 'addr', 'add', v6, 'dev', dev, 'nodad']);
    }
    const mac = (ns: string) => must('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/address`]).trim();
    return {
      a,
      b,
      dev,
      macA: mac(a),
      macB: mac(b),
      inA: (cmd, args, input) => sh('ip', ['netns', 'exec', a, cmd, ...args], input),
      inB: (cmd, args, input) => sh('ip', ['netns', 'exec', b, cmd, ...args], input),
      spawnInA: (cmd, args) => {
        const c = spawn('ip', ['netns', 'exec', a, cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(c);
        return c;
      },
      destroy,
    };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** Waits (polling) until fn returns true or ms pass. */
export async function until(fn: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return fn();
}
