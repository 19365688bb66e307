/**
 * lioha-portald figures, loopback only, against asking the target directly
 * in the same interleaved run:
 *  - discovery round trip (login, SendTargets=All, logout): direct to the
 *    target vs through the portal with its per-initiator view cached (warm)
 *    and with no cache (cold: the portal asks the back-end during the answer);
 *  - a normal-session login: direct login at the target vs the portal's
 *    redirect answer, and vs redirect plus the login at the redirected address;
 *  - connections per second the daemon answers with redirects, from C
 *    concurrent initiators for a bounded time.
 * The daemon is the built dist/bin/lioha-portald; the target is a fake LIO
 * target in its own process. Prints min/median/max and per-round ratios.
 *
 * Usage: npm run bench:portald [rounds=200] [seconds=3] [concurrency=16]   (npm run build first)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { discoverTargets, tryLogin } from '../lib/iscsi/initiator.js';
import { parseTargetAddress } from '../lib/iscsi/address.js';
import { LoginStatus } from '../lib/iscsi/login-status.js';
import { freePort } from '../test/portald/harness.js';
import { distDir } from '../test/helpers/agent.js';
import { median } from './measure.js';

const rounds = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 3);
const concurrency = Number(process.argv[4] ?? 16);
const I = 'iqn.2026-01.bench.lioha:host';
const T = 'iqn.2026-01.bench.lioha:disk3';
const daemon = join(distDir, 'bin', 'lioha-portald');
if (!existsSync(daemon)) {
  process.stderr.write(`${daemon} missing: npm run build first\n`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'lioha-bench-portald-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

async function firstLine(c: ChildProcess): Promise<string> {
  const rl = createInterface({ input: c.stdout! });
  for await (const line of rl) return line;
  throw new Error('child printed nothing');
}

async function startPortald(name: string, backendPort: number, stateSeconds: number): Promise<number> {
  const port = await freePort();
  const cfg = join(dir, `${name}.json`);
  writeFileSync(cfg, JSON.stringify({
    portals: [{ address: '127.0.0.1', port, backends: [`127.0.0.1:${backendPort}`] }],
    stateSeconds,
    limits: { maxConnections: 1024, maxConnectionsPerAddress: 1024 },
  }));
  const pid = join(dir, `${name}.pid`);
  const c = spawn(daemon, ['--config', cfg, '--pidfile', pid, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  for (let i = 0; i < 200 && !existsSync(pid); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(pid)) throw new Error(`${name} did not start`);
  return port;
}

const backend = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'portald-backend.ts'), '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(backend);
const backendPort = Number(await firstLine(backend));
const warmPort = await startPortald('warm', backendPort, 5);
const coldPort = await startPortald('cold', backendPort, 0);

const o = (port: number) => ({ host: '127.0.0.1', port, initiatorName: I, timeoutMs: 5000 });
const cases: Record<string, () => Promise<void>> = {
  'discovery direct': async () => void (await discoverTargets(o(backendPort))),
  'discovery portal warm': async () => void (await discoverTargets(o(warmPort))),
  'discovery portal cold': async () => void (await discoverTargets(o(coldPort))),
  'login direct': async () => {
    const r = await tryLogin({ ...o(backendPort), targetName: T });
    if (r.status !== 0) throw new Error('direct login failed');
  },
  'redirect answer': async () => {
    const r = await tryLogin({ ...o(warmPort), targetName: T });
    if (r.status !== LoginStatus.TARGET_MOVED_TEMPORARILY) throw new Error(`redirect status ${r.status}`);
  },
  'redirect + login': async () => {
    const r = await tryLogin({ ...o(warmPort), targetName: T });
    const to = parseTargetAddress(r.keys.get('TargetAddress') ?? '')!;
    const l = await tryLogin({ ...o(to.port), host: to.host, targetName: T });
    if (l.status !== 0) throw new Error('login after redirect failed');
  },
};
const names = Object.keys(cases);
const times = new Map(names.map((n) => [n, [] as number[]]));
for (let r = -10; r < rounds; r++) {
  for (const n of [...names].sort(() => Math.random() - 0.5)) {
    const t0 = performance.now();
    await cases[n]!();
    if (r >= 0) times.get(n)!.push(performance.now() - t0);
  }
}

const fmt = (x: number) => x.toFixed(2).padStart(7);
const stat = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return `${fmt(s[0]!)} ${fmt(median(s))} ${fmt(s[s.length - 1]!)}`; };
const ratio = (a: string, b: string) => times.get(a)!.map((x, i) => x / times.get(b)![i]!);
process.stdout.write(`lioha-portald on loopback, ${rounds} interleaved rounds (ms: min median max)\n`);
for (const n of names) process.stdout.write(`  ${n.padEnd(24)} ${stat(times.get(n)!)}\n`);
process.stdout.write('ratios per round (min median max)\n');
for (const [a, b] of [
  ['discovery portal warm', 'discovery direct'],
  ['discovery portal cold', 'discovery direct'],
  ['redirect answer', 'login direct'],
  ['redirect + login', 'login direct'],
] as const) process.stdout.write(`  ${`${a} / ${b}`.padEnd(46)} ${stat(ratio(a, b)).replace(/ +/g, ' ')}\n`);

// Connections per second: C initiators in a loop of connect, redirect, close, for a bounded time.
let done = 0;
let failed = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      try {
        const r = await tryLogin({ ...o(warmPort), targetName: T });
        if (r.status === LoginStatus.TARGET_MOVED_TEMPORARILY) done++;
        else failed++;
      } catch {
        failed++;
      }
    }
  }),
);
process.stdout.write(`redirects answered: ${(done / seconds).toFixed(0)} connections/s (${concurrency} concurrent initiators, ${seconds} s, ${failed} failed; client and daemon share this machine's 2 cores)\n`);
process.exit(0);
