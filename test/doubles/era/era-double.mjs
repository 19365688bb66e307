#!/usr/bin/env node
// Command doubles for dmsetup, era_invalidate and lvm as the ddmap agent's era backend uses them, over
// a small model of dm-era (kernel 6.1 drivers/md/dm-era-target.c) and LVM: eras roll over on every
// load (preresume), on "checkpoint" and on "take_metadata_snap"; writes mark the current write set;
// rollover archives it; archived write sets are digested into the era array (block -> last era) except
// the newest, like the kernel's background digest part way through; a held metadata snapshot freezes
// the archived sets and the array for era_invalidate --metadata-snapshot. State lives in
// <root>/var/lib/lioha-era-double/state.json; /sys/block/dm-N and /dev/mapper nodes are rendered
// under the root. Fault injection: state.fail["<tool> <sub>"] = "message" makes that call exit 1,
// state.hang["<tool> <sub>"] = ms makes it sleep first.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATE_REL = 'var/lib/lioha-era-double/state.json';
const dmName = (vg, lv) => `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;

/** State writes are atomic: a double killed by a time limit must not leave half a file. */
function writeState(path, s) {
  writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(s, null, 2));
  renameSync(`${path}.${process.pid}.tmp`, path);
}

class DoubleExit extends Error {
  constructor(code, msg) { super(msg); this.code = code; }
}

/**
 * One command against the model under `root`: { exitCode, stdout, stderr }. The bin/ wrappers call
 * it in a process of their own; tests may call it in-process as the agent's command runner.
 */
export function runEraDouble(ROOT, tool, args, env = {}) {
  if (!ROOT || ROOT === '/') return { exitCode: 99, stdout: '', stderr: 'era double: refusing to run without a fixture LIOHA_ROOT\n' };
  const STATE = join(ROOT, STATE_REL);
  const P = (abs) => join(ROOT, abs);
  let stdout = '';
  const out = (t) => { stdout += t; };
  const die = (code, msg) => { throw new DoubleExit(code, msg.endsWith('\n') ? msg : `${msg}\n`); };
  const unexpected = () => die(99, `era double: unexpected ${tool} invocation: ${args.join(' ')}`);
  let s;
  try {
    s = JSON.parse(readFileSync(STATE, 'utf8'));
    if (tool !== '__render') s.log.push(`${tool} ${args.join(' ')}`);
    const sub = tool === 'dmsetup' || tool === 'lvm' ? args[0] : '';
    const key = `${tool}${sub ? ` ${sub}` : ''}`;
    if (s.hang?.[key]) return { hang: s.hang[key], state: s, save: () => writeState(STATE, s) };
    if (tool !== '__render' && env.DM_DISABLE_UDEV !== '1') die(99, 'era double: no udev in the fixture but DM_DISABLE_UDEV is not 1');
    const save = () => { render(); writeState(STATE, s); };
    // ---------- model ----------
    const allLvs = () => Object.entries(s.vgs).flatMap(([vg, v]) => Object.entries(v.lvs).map(([name, lv]) => ({ vg, name, lv })));
    const byDev = (dev) => allLvs().find((x) => x.lv.active && `253:${x.lv.dm}` === dev);
    const md = (vg, lv) => (s.metadata[`${vg}/${lv}`] ??= { formatted: false });
    const blocksOf = (sectors) => Math.ceil(sectors / 32);

    function rollover(m) {
      if (m.current) m.archived[String(m.era)] = m.current;
      m.era += 1;
      m.current = [];
      // digest every archived set but the newest (the kernel digests in the background, lowest era first)
      const eras = Object.keys(m.archived).map(Number).sort((a, b) => a - b);
      if (m.snap) return; // the digest would copy-on-write; keep the model simple: no digest while a snapshot is held
      for (const e of eras.slice(0, -1)) {
        for (const b of m.archived[String(e)]) m.array[String(b)] = e;
        delete m.archived[String(e)];
      }
    }

    function render() {
      mkdirSync(P('/sys/block'), { recursive: true });
      mkdirSync(P('/dev/mapper'), { recursive: true });
      const nodes = [];
      for (const { vg, name, lv } of allLvs()) if (lv.active) nodes.push({ dm: lv.dm, name: dmName(vg, name), uuid: `LVM-${s.vgs[vg].uuid}${lv.uuid}`, sectors: lv.sectors, holders: [] });
      for (const [name, e] of Object.entries(s.era)) {
        nodes.push({ dm: e.dm, name, uuid: e.uuid, sectors: e.sectors, holders: [], suspended: e.suspended });
        for (const dev of [e.metaDev, e.originDev]) nodes.find((n) => `253:${n.dm}` === dev)?.holders.push(`dm-${e.dm}`);
      }
      const live = new Set(nodes.map((n) => `dm-${n.dm}`));
      for (const d of readdirNames(P('/sys/block'))) if (/^dm-\d+$/.test(d) && !live.has(d)) rmSync(P(`/sys/block/${d}`), { recursive: true, force: true });
      for (const f of readdirNames(P('/dev/mapper'))) if (!nodes.some((n) => n.name === f)) rmSync(P(`/dev/mapper/${f}`), { force: true });
      for (const n of nodes) {
        const base = P(`/sys/block/dm-${n.dm}`);
        rmSync(`${base}/holders`, { recursive: true, force: true });
        mkdirSync(`${base}/dm`, { recursive: true });
        mkdirSync(`${base}/holders`, { recursive: true });
        writeFileSync(`${base}/dm/name`, `${n.name}\n`);
        writeFileSync(`${base}/dm/uuid`, `${n.uuid}\n`);
        writeFileSync(`${base}/dm/suspended`, n.suspended ? '1\n' : '0\n');
        writeFileSync(`${base}/dev`, `253:${n.dm}\n`);
        writeFileSync(`${base}/size`, `${n.sectors}\n`);
        for (const h of n.holders) writeFileSync(`${base}/holders/${h}`, '');
        writeFileSync(P(`/dev/mapper/${n.name}`), '');
      }
    }
    function readdirNames(p) { try { return readdirSync(p); } catch { return []; } }

    // ---------- dmsetup ----------
    function dmsetup() {
      const [cmd, ...rest] = args;
      const need = (name) => s.era[name] ?? die(1, `Device ${name} not found\nCommand failed.`);
    if (['status', 'message'].includes(cmd) && s.era[rest[0]]?.suspended) die(98, `era double: ${cmd} on suspended ${rest[0]} would hang in dm-era (its worker does not run)`);
      switch (cmd) {
        case 'create': {
          const [name, u, uuid, t, table] = rest;
          if (u !== '-u' || t !== '--table' || rest.length !== 5) unexpected();
          if (s.era[name]) die(1, `device-mapper: create ioctl on ${name}  failed: Device or resource busy`);
          const f = table.split(' ');
          if (f.length !== 6 || f[0] !== '0' || f[2] !== 'era') die(1, 'device-mapper: reload ioctl failed: Invalid argument');
          const meta = byDev(f[3]);
          const origin = byDev(f[4]);
          if (!meta || !origin) die(1, 'device-mapper: reload ioctl failed: No such device or address');
          if (Number(f[5]) % 8 !== 0) die(1, 'device-mapper: reload ioctl failed: Invalid argument');
          const m = md(meta.vg, meta.name);
          if (!m.formatted) {
            if (!meta.lv.zeroed) die(1, 'device-mapper: reload ioctl failed: Invalid argument (era: Error reading metadata)');
            Object.assign(m, { formatted: true, era: 0, current: null, archived: {}, array: {}, snap: null, blockSectors: Number(f[5]) });
          } else if (m.blockSectors !== Number(f[5])) die(1, 'device-mapper: reload ioctl failed: Invalid argument (changing the data block size)');
          m.nrBlocks = blocksOf(Number(f[1]));
          rollover(m); // preresume
          s.era[name] = { dm: s.nextDm++, uuid, sectors: Number(f[1]), metaDev: f[3], originDev: f[4], meta: `${meta.vg}/${meta.name}`, open: 0, suspended: false };
          save();
          return;
        }
        case 'remove': {
          if (rest.length !== 1) unexpected();
          const e = need(rest[0]);
          if (e.open > 0) die(1, `device-mapper: remove ioctl on ${rest[0]}  failed: Device or resource busy\nCommand failed.`);
          const m = s.metadata[e.meta];
          if (m.current) { m.archived[String(m.era)] = m.current; m.current = null; } // postsuspend archives
          delete s.era[rest[0]];
          save();
          return;
        }
        case 'suspend': {
      const e = need(rest[0]);
      const m = s.metadata[e.meta];
      if (!e.suspended && m.current) { m.archived[String(m.era)] = m.current; m.current = null; } // postsuspend archives
      e.suspended = true;
      save();
      return;
    }
    case 'resume': {
      const e = need(rest[0]);
      if (e.suspended) rollover(s.metadata[e.meta]); // preresume starts a new era
      e.suspended = false;
      save();
      return;
    }
    case 'status': {
          const e = need(rest[0]);
          const m = s.metadata[e.meta];
          out(`0 ${e.sectors} era 8 ${m.usedBlocks ?? 100}/${m.totalBlocks ?? 4096} ${m.era} ${m.snap ? '7' : '-'}\n`);
          save();
          return;
        }
        case 'table': {
          const e = need(rest[0]);
          out(`0 ${e.sectors} era ${e.metaDev} ${e.originDev} ${s.metadata[e.meta].blockSectors}\n`);
          save();
          return;
        }
        case 'info': {
          if (rest.join(' ') !== `-c --noheadings -o open ${rest.at(-1)}`) unexpected();
          const e = need(rest.at(-1));
          out(`    ${e.open}\n`);
          save();
          return;
        }
        case 'message': {
          const [name, zero, msg] = rest;
          if (zero !== '0' || rest.length !== 3) unexpected();
          const e = need(name);
          const m = s.metadata[e.meta];
          if (msg === 'checkpoint') rollover(m);
          else if (msg === 'take_metadata_snap') {
            if (m.snap) die(1, `device-mapper: message ioctl on ${name}  failed: Invalid argument`);
            rollover(m);
            m.snap = { archived: structuredClone(m.archived), array: structuredClone(m.array) };
          } else if (msg === 'drop_metadata_snap') {
            if (!m.snap) die(1, `device-mapper: message ioctl on ${name}  failed: Invalid argument`);
            m.snap = null;
          } else die(1, `device-mapper: message ioctl on ${name}  failed: Invalid argument`);
          save();
          return;
        }
        default:
          unexpected();
      }
    }

    // ---------- era_invalidate (thin-provisioning-tools 0.9 output) ----------
    function eraInvalidate() {
      let since; let snap = false; let dev;
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '--written-since') since = Number(args[++i]);
        else if (args[i] === '--metadata-snapshot') snap = true;
        else if (!args[i].startsWith('-') && dev === undefined) dev = args[i];
        else unexpected();
      }
      if (since === undefined || dev === undefined) unexpected();
      const pre = P('/dev/mapper/');
      if (!dev.startsWith(pre) || !existsSync(dev)) die(1, `Couldn't stat dev path '${dev}'`);
      const lvRef = allLvs().find((x) => x.lv.active && dmName(x.vg, x.name) === dev.slice(pre.length));
      if (!lvRef) die(1, 'bad path');
      const m = s.metadata[`${lvRef.vg}/${lvRef.name}`];
      if (!m?.formatted) die(1, 'bad checksum in superblock');
      const src = snap ? m.snap : { archived: m.archived, array: m.array };
      if (!src) die(1, 'no metadata snapshot taken.');
      const blocks = new Set();
      for (const [b, e] of Object.entries(src.array)) if (e >= since) blocks.add(Number(b));
      for (const [e, bs] of Object.entries(src.archived)) if (Number(e) >= since) for (const b of bs) blocks.add(b);
      const sorted = [...blocks].sort((a, b) => a - b);
      let o = '<blocks>\n';
      for (let i = 0; i < sorted.length;) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        o += j === i ? `  <block block="${sorted[i]}"/>\n` : `  <range begin="${sorted[i]}" end = "${sorted[j] + 1}"/>\n`;
        i = j + 1;
      }
      out(`${o}</blocks>\n`);
      save();
    }

    // ---------- lvm (lvs, lvchange -ay, lvcreate) ----------
    function lvm() {
      const [cmd, ...rest] = args;
      const o = { pos: [], opts: {} };
      const withValue = new Set(['--config', '--reportformat', '-o', '-n', '-L']);
      for (let i = 0; i < rest.length; i++) {
        if (withValue.has(rest[i])) o.opts[rest[i]] = rest[++i];
        else if (rest[i].startsWith('-')) (o.flags ??= []).push(rest[i]);
        else o.pos.push(rest[i]);
      }
      const cfg = o.opts['--config'] ?? '';
      if (!cfg.includes('"a|^/dev/drbd[0-9]+$|"') || !cfg.includes('"r|.*|"')) die(99, `era double: lvm without the DRBD-only filter: ${cfg}`);
      switch (cmd) {
        case 'lvs': {
          const vg = s.vgs[o.pos[0]] ?? die(5, `  Volume group "${o.pos[0]}" not found`);
          out(JSON.stringify({ report: [{ lv: Object.entries(vg.lvs).map(([n, lv]) => ({ lv_name: n, lv_active: lv.active ? 'active' : '' })) }] }));
          save();
          return;
        }
        case 'lvchange': {
          if (!o.flags?.includes('-ay')) unexpected();
          const [vgName, lvName] = o.pos[0].split('/');
          const lv = s.vgs[vgName]?.lvs[lvName] ?? die(5, `  Failed to find logical volume "${o.pos[0]}"`);
          lv.active = true;
          save();
          return;
        }
        case 'lvcreate': {
          const vg = s.vgs[o.pos[0]] ?? die(5, `  Volume group "${o.pos[0]}" not found`);
          const name = o.opts['-n'];
          const size = /^(\d+)m$/.exec(o.opts['-L'] ?? '');
          if (!name || !size || !o.flags?.includes('-Zy')) unexpected();
          if (vg.lvs[name]) die(5, `  Logical Volume "${name}" already exists in volume group "${o.pos[0]}"`);
          const extent = 4 * 1024 * 1024;
          const bytes = Math.ceil((Number(size[1]) << 20) / extent) * extent;
          vg.lvs[name] = { uuid: `md${String(s.nextUuid++).padStart(30, '0')}`, sectors: bytes / 512, active: true, zeroed: true, dm: s.nextDm++ };
          s.created.push(`${o.pos[0]}/${name} ${bytes}`);
          save();
          out(`  Logical volume "${name}" created.\n`);
          return;
        }
        default:
          unexpected();
      }
    }


    if (s.fail?.[key]) { save(); die(1, s.fail[key]); }
    if (tool === '__render') save(); // the fixture's first rendering
    else if (tool === 'dmsetup') dmsetup();
    else if (tool === 'era_invalidate') eraInvalidate();
    else if (tool === 'lvm') lvm();
    else unexpected();
    return { exitCode: 0, stdout, stderr: '' };
  } catch (e) {
    if (e instanceof DoubleExit) {
      if (s) writeState(STATE, s);
      return { exitCode: e.code, stdout, stderr: e.message };
    }
    throw e;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [, , tool, ...args] = process.argv;
  // The agent runs commands for several LVs at once: one command at a time changes the model.
  const lock = join(process.env.LIOHA_ROOT || '/nonexistent', `${STATE_REL}.lock`);
  const until = Date.now() + 20_000;
  for (;;) {
    try { mkdirSync(lock); break; } catch { if (Date.now() > until) { process.stderr.write('era double: state lock timeout\n'); process.exit(99); } }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  let r;
  try { r = runEraDouble(process.env.LIOHA_ROOT, tool, args, process.env); } finally { rmSync(lock, { recursive: true, force: true }); }
  if (r.hang) {
    // a hung tool: its call is logged, then it sleeps until the caller's time limit kills it
    r.save();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, r.hang); // asleep, like a process stuck in the kernel
    r = { exitCode: 1, stdout: '', stderr: 'era double: woke from a hang nobody ended\n' };
  }
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exit(r.exitCode);
}
