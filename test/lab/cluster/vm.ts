/**
 * One VM of the cluster lab, seen from the host: boots the lab guest (snapshot root, the node's own
 * persistent scratch disk, taps in the lab's network namespace), runs commands in it over the lab.ctl
 * virtio-serial port, serves its fence requests (lab.fence port) and powers it off through the qemu monitor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

export interface VmSpec {
  readonly name: string;
  readonly role: 'node' | 'initiator';
  readonly addr0: string;
  readonly addr1?: string;
  /** tap names in the namespace, eth0 first */
  readonly taps: readonly string[];
  readonly mem: number;
  readonly mac: number;
}

export interface CmdResult { rc: number; out: string; err: string }

export interface FenceRequest { op: string; node?: string }
export type FenceHandler = (from: Vm, req: FenceRequest) => Promise<Record<string, unknown>>;

export interface LabPaths {
  /** repo root (the guest's read-only repo share) */
  repo: string;
  /** lab build: vmlinux, initrd.img, root.img */
  img: string;
  /** this run's directory */
  run: string;
  /** short directory for unix sockets */
  sock: string;
  ns: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const debug = (m: string) => { if (process.env.LAB_DEBUG) process.stderr.write(`[vm ${new Date().toISOString().slice(11, 23)}] ${m}\n`); };

export class Vm {
  proc: ChildProcess | undefined;
  boots = 0;
  private ctl: net.Socket | undefined;
  private pending = new Map<number, (r: CmdResult) => void>();
  private nextId = 1;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: VmSpec, readonly paths: LabPaths, readonly fence: FenceHandler) {}

  get name(): string { return this.spec.name; }
  get out(): string { return join(this.paths.run, this.spec.name); }
  get running(): boolean { return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null; }
  private sockPath(kind: string): string { return join(this.paths.sock, `${this.spec.name}.${kind}`); }

  async boot(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.boots++;
    fs.mkdirSync(this.out, { recursive: true });
    for (const f of ['vm-up', 'boot-uptime', 'done']) fs.rmSync(join(this.out, f), { force: true });
    fs.writeFileSync(join(this.out, 'params.sh'), "LAB_TESTS='vm'\nLAB_TEST_TIMEOUT=86400\nLAB_TEST_DIR=test/lab/cluster/guest\n");
    fs.writeFileSync(join(this.out, 'vm.env'),
      `VM_NAME=${this.name}\nVM_ROLE=${this.spec.role}\nVM_ADDR0=${this.spec.addr0}\nVM_ADDR1=${this.spec.addr1 ?? ''}\n`);
    const { img, repo } = this.paths;
    const kernel = fs.existsSync(join(img, 'vmlinux')) ? join(img, 'vmlinux') : join(img, 'vmlinuz');
    const accel = process.env.LAB_ACCEL === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max'];
    const args = [
      '-machine', 'pc', ...accel, '-smp', '1', '-m', String(this.spec.mem),
      '-display', 'none', '-serial', `file:${join(this.out, `console-${this.boots}.log`)}`, '-no-reboot',
      '-kernel', kernel, '-initrd', join(img, 'initrd.img'),
      // panic=0: a crashed kernel hangs until it is fenced (sysrq c scenario), it does not reboot itself
      '-append', 'console=ttyS0 panic=0 quiet loglevel=3 mitigations=off tsc=reliable no_timer_check',
      '-drive', `file=${join(img, 'root.img')},if=virtio,format=raw,snapshot=on,cache=unsafe`,
      '-virtfs', `local,path=${repo},mount_tag=repo,security_model=none,readonly=on`,
      '-virtfs', `local,path=${this.out},mount_tag=out,security_model=none`,
      '-monitor', `unix:${this.sockPath('mon')},server=on,wait=off`,
      '-device', 'virtio-serial-pci',
      '-chardev', `socket,id=ctl,path=${this.sockPath('ctl')},server=on,wait=off`,
      '-device', 'virtserialport,chardev=ctl,name=lab.ctl',
    ];
    if (this.spec.role === 'node') {
      const scratch = join(this.paths.run, `${this.name}.scratch.img`);
      if (!fs.existsSync(scratch)) fs.writeFileSync(scratch, ''), fs.truncateSync(scratch, 512 * 1024 * 1024);
      args.push('-drive', `file=${scratch},if=virtio,format=raw,cache=unsafe`,
        '-chardev', `socket,id=fence,path=${this.sockPath('fence')},server=on,wait=off`,
        '-device', 'virtserialport,chardev=fence,name=lab.fence');
    }
    this.spec.taps.forEach((t, i) => {
      const mac = `52:54:00:00:${this.spec.mac.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}`;
      args.push('-netdev', `tap,id=n${i},ifname=${t},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n${i},mac=${mac}`);
    });
    for (const k of ['mon', 'ctl', 'fence']) fs.rmSync(this.sockPath(k), { force: true });
    const errLog = fs.openSync(join(this.out, `qemu-${this.boots}.log`), 'w');
    const proc = spawn('ip', ['netns', 'exec', this.paths.ns, 'qemu-system-x86_64', ...args], { stdio: ['ignore', errLog, errLog] });
    this.proc = proc;
    this.exited = new Promise((r) => proc.once('exit', () => {
      for (const [, res] of this.pending) res({ rc: 255, out: '', err: `${this.name} powered off` });
      this.pending.clear();
      this.ctl?.destroy(); this.ctl = undefined;
      r();
    }));
    await this.waitFile(this.sockPath('ctl'), 20);
    this.ctl = await connectUnix(this.sockPath('ctl'));
    this.readLines(this.ctl, (line) => {
      const r = JSON.parse(line) as CmdResult & { id: number };
      const res = this.pending.get(r.id);
      if (res) { this.pending.delete(r.id); res(r); }
    });
    if (this.spec.role === 'node') {
      const fsock = await connectUnix(this.sockPath('fence'));
      this.readLines(fsock, (line) => {
        const req = JSON.parse(line) as FenceRequest;
        void this.fence(this, req).then((reply) => { if (!fsock.destroyed) fsock.write(`${JSON.stringify(reply)}\n`); },
          (e: Error) => { if (!fsock.destroyed) fsock.write(`${JSON.stringify({ ok: false, error: e.message })}\n`); });
      });
    }
    debug(`${this.name}: qemu ${proc.pid} up, ctl connected`);
    await this.waitFile(join(this.out, 'vm-up'), Number(process.env.LAB_BOOT_TIMEOUT ?? 240));
    debug(`${this.name}: guest init reached the command agent`);
    // the agent opens the port right after vm-up: ask until it answers
    for (let i = 0; ; i++) {
      const r = await Promise.race([this.request({ ping: 1 }), sleep(1000).then(() => undefined)]);
      if (r) break;
      debug(`${this.name}: no answer to ping ${i}`);
      if (i > 240) throw new Error(`${this.name}: command agent does not answer`);
    }
    await this.syncClock();
    debug(`${this.name}: booted`);
  }

  /** Sets the guest clock to the host's (guest timestamps are compared with the host's). */
  async syncClock(): Promise<number> {
    const t0 = Date.now();
    await this.request({ settime: String(BigInt(Date.now()) * 1_000_000n) });
    return Date.now() - t0;
  }

  private readLines(sock: net.Socket, onLine: (l: string) => void): void {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        if (line.trim()) onLine(line);
      }
    });
    sock.on('error', () => {});
  }

  private request(body: Record<string, unknown>): Promise<CmdResult> {
    if (!this.ctl || !this.running) return Promise.resolve({ rc: 255, out: '', err: `${this.name} is not running` });
    const id = this.nextId++;
    return new Promise((res) => {
      this.pending.set(id, res);
      this.ctl!.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  /** Runs a bash script in the guest (node.sh or initiator.sh sourced first). */
  run(script: string, timeoutS = 600): Promise<CmdResult> {
    const lib = this.spec.role === 'node' ? 'node.sh' : 'initiator.sh';
    return this.request({ script: `. "$LAB_REPO/test/lab/cluster/guest/${lib}"\n${script}`, timeout: timeoutS });
  }

  async sh(script: string, timeoutS = 600): Promise<string> {
    const r = await this.run(script, timeoutS);
    if (r.rc !== 0) throw new Error(`${this.name}: \`${script.split('\n')[0]}\` exited ${r.rc}: ${(r.err || r.out).trim().slice(-1500)}`);
    return r.out;
  }

  /** Hard power-off: the qemu process is killed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc!.kill('SIGKILL');
    await this.exited;
  }

  /** Power-off through the qemu monitor (`quit`), as the fence agent asks for. */
  async powerOff(): Promise<void> {
    if (!this.running) return;
    try {
      const m = await connectUnix(this.sockPath('mon'));
      m.write('quit\n');
      await Promise.race([this.exited, sleep(10_000)]);
      m.destroy();
    } catch { /* fall through to SIGKILL */ }
    if (this.running) await this.kill();
  }

  /** Carrier of NIC n (0 = eth0) on or off through the qemu monitor (`set_link`): the guest sees a pulled cable. */
  async setLink(nic: number, up: boolean): Promise<void> {
    const m = await connectUnix(this.sockPath('mon'));
    m.write(`set_link n${nic} ${up ? 'on' : 'off'}\n`);
    await sleep(500);
    m.destroy();
  }

  async waitExit(timeoutS: number): Promise<boolean> {
    return Promise.race([this.exited.then(() => true), sleep(timeoutS * 1000).then(() => !this.running)]);
  }

  private async waitFile(path: string, timeoutS: number): Promise<void> {
    const end = Date.now() + timeoutS * 1000;
    while (!fs.existsSync(path)) {
      if (!this.running) throw new Error(`${this.name}: qemu exited during boot (see ${this.out}/qemu-${this.boots}.log, console-${this.boots}.log)`);
      if (Date.now() > end) throw new Error(`${this.name}: ${path} did not appear within ${timeoutS}s`);
      await sleep(200);
    }
  }
}

async function connectUnix(path: string): Promise<net.Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<net.Socket>((res, rej) => {
        const s = net.connect(path);
        s.once('connect', () => { s.removeAllListeners('error'); res(s); });
        s.once('error', rej);
      });
    } catch (e) {
      if (i > 100) throw e;
      await sleep(100);
    }
  }
}
