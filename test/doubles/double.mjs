#!/usr/bin/env node
// Command doubles for lvm, drbdadm, drbdsetup, mount and umount. They check
// their arguments against what the real tools accept and what the vg agent is
// expected to pass (DRBD-only filter, DM_DISABLE_UDEV without udev), keep state
// in <root>/var/lib/lioha-doubles/state.json and render the kernel views the
// agent reads: /proc/drbd, /sys/block/dm-N, /dev nodes, /proc/self/mounts.
// An LV's device is a file /dev/dm-N (its data kept under var/lib/lioha-doubles/data
// while inactive when the LV has a size); snapshots (lvcreate --snapshot) are copies.
// Like the kernel's open count, vgchange -an and lvremove refuse an LV that a real
// process of this machine has open (its /dev/dm-N file, found through /proc/*/fd).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = process.env.LIOHA_ROOT || process.env.OCF_RESKEY_CRM_meta_lioha_root;
if (!ROOT || ROOT === '/') {
  process.stderr.write('double: refusing to run without a fixture LIOHA_ROOT\n');
  process.exit(99);
}
const STATE = join(ROOT, 'var/lib/lioha-doubles/state.json');
const P = (abs) => join(ROOT, abs);
const [, , tool, ...args] = process.argv;

const load = () => JSON.parse(readFileSync(STATE, 'utf8'));
const save = (s) => { writeFileSync(STATE, JSON.stringify(s, null, 2)); render(s); };
const out = (t) => process.stdout.write(t);
const die = (code, msg) => { process.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`); process.exit(code); };
const unexpected = () => die(99, `double: unexpected ${tool} invocation: ${args.join(' ')}`);
const unroot = (p) => (p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length) : p);
const dmName = (vg, lv) => `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;

function logCall(s) {
  s.log.push(`${tool} ${args.join(' ')}`);
}

// ---------- rendering ----------
function render(s) {
  mkdirSync(P('/proc/self'), { recursive: true });
  const proc = s.drbd.version.startsWith('9')
    ? `version: ${s.drbd.version} (api:2/proto:86-122)\nGIT-hash: 0 build by double\nTransports (api:20): tcp (${s.drbd.version})\n`
    : `version: ${s.drbd.version} (api:1/proto:86-101)\nsrcversion: DOUBLE\n` + s.drbd.resources.flatMap((r) => r.minors.map((m, i) =>
        `${String(m).padStart(2)}: cs:${r.cstate} ro:${r.role}/${r.peerRole} ds:${r.disks[i]}/${r.peerDisks[i]} C r-----\n` +
        '    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n')).join('');
  if (s.drbd.loaded) writeFileSync(P('/proc/drbd'), proc); else rmSync(P('/proc/drbd'), { force: true });
  writeFileSync(P('/proc/self/mounts'), [...s.baseMounts, ...s.mounts.map((m) => `${m.device} ${m.mountPoint.replace(/ /g, '\\040')} ${m.fstype} ${m.options} 0 0`)].map((l) => `${l}\n`).join(''));
  mkdirSync(P('/sys/block'), { recursive: true });
  for (const vg of s.vgs) for (const lv of vg.lvs) {
    const base = P(`/sys/block/dm-${lv.dm}`);
    const name = dmName(vg.name, lv.name);
    const devFile = P(`/dev/dm-${lv.dm}`);
    const stored = P(`/var/lib/lioha-doubles/data/${lv.uuid}`);
    if (lv.active) {
      mkdirSync(`${base}/dm`, { recursive: true });
      mkdirSync(`${base}/holders`, { recursive: true });
      mkdirSync(`${base}/slaves`, { recursive: true });
      writeFileSync(`${base}/dm/name`, `${name}\n`);
      writeFileSync(`${base}/dm/uuid`, `LVM-${vg.uuid}${lv.uuid}\n`);
      writeFileSync(`${base}/dm/suspended`, '0\n');
      for (const pv of vg.pvs) { const k = pv.replace('/dev/', ''); if (!existsSync(`${base}/slaves/${k}`)) writeFileSync(`${base}/slaves/${k}`, ''); }
      mkdirSync(P(`/dev/mapper`), { recursive: true });
      mkdirSync(P(`/dev/${vg.name}`), { recursive: true });
      if (!existsSync(devFile)) {
        if (existsSync(stored)) renameSync(stored, devFile);
        else if (lv.sizeBytes) { writeFileSync(devFile, ''); truncateSync(devFile, lv.sizeBytes); }
        else writeFileSync(devFile, Buffer.alloc(8192, 0x5a));
      }
      for (const link of [`/dev/mapper/${name}`, `/dev/${vg.name}/${lv.name}`]) {
        if (!existsSync(P(link))) symlinkSync(`../dm-${lv.dm}`, P(link));
      }
    } else {
      if (lv.sizeBytes && lv.dm !== undefined && existsSync(devFile)) { mkdirSync(dirname(stored), { recursive: true }); renameSync(devFile, stored); }
      rmSync(base, { recursive: true, force: true });
      for (const p of [`/dev/mapper/${name}`, `/dev/${vg.name}/${lv.name}`, `/dev/dm-${lv.dm}`]) rmSync(P(p), { force: true });
    }
  }
  for (const r of s.drbd.resources) for (const m of r.minors) if (!existsSync(P(`/dev/drbd${m}`))) { mkdirSync(P('/dev'), { recursive: true }); writeFileSync(P(`/dev/drbd${m}`), ''); }
}

// ---------- helpers on state ----------
const minorOf = (pv) => Number(/^\/dev\/drbd(\d+)$/.exec(pv)?.[1] ?? -1);
const resOfMinor = (s, m) => s.drbd.resources.find((r) => r.minors.includes(m));
/** LVM can read a PV only where its DRBD device is Primary (Secondary: EMEDIUMTYPE). */
const readable = (s, vg) => vg.pvs.every((pv) => resOfMinor(s, minorOf(pv))?.role === 'Primary');

function parseLvmArgs(a) {
  const o = { flags: [], opts: {}, pos: [] };
  const withValue = new Set(['--config', '--reportformat', '--units', '-o', '-S', '--systemid', '--addtag', '--deltag', '--name', '--permission', '--extents', '--size']);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (withValue.has(x)) { if (i + 1 >= a.length) unexpected(); (o.opts[x] ??= []).push(a[++i]); }
    else if (x.startsWith('-')) o.flags.push(x);
    else o.pos.push(x);
  }
  return o;
}

function checkLvmEnv(o) {
  const cfg = (o.opts['--config'] ?? []).join(' ');
  if (!cfg.includes('"a|^/dev/drbd[0-9]+$|"') || !cfg.includes('"r|.*|"') || !cfg.includes('global_filter=')) {
    die(99, `double: lvm called without the DRBD-only device filter: --config ${cfg}`);
  }
  const udev = existsSync(P('/run/udev/control'));
  if (!udev && process.env.DM_DISABLE_UDEV !== '1') die(99, 'double: udev absent but DM_DISABLE_UDEV not set');
  if (udev && process.env.DM_DISABLE_UDEV === '1') die(99, 'double: udev running but DM_DISABLE_UDEV=1 (LVM would race udev for /dev nodes)');
  return cfg;
}

const report = (key, rows) => out(JSON.stringify({ report: [{ [key]: rows }] }, null, 2) + '\n');

/** Real processes of this machine with the LV's device file open (the kernel's open count). */
function realOpeners(lv) {
  if (lv.dm === undefined || !existsSync(P(`/dev/dm-${lv.dm}`))) return [];
  const file = realpathSync(P(`/dev/dm-${lv.dm}`));
  const pids = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    if (fds.some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === file; } catch { return false; } })) pids.push(Number(pid));
  }
  return pids;
}
const lvInUse = (s, vg, lv) => s.openLvs.includes(lv.name) || s.mounts.some((m) => [`/dev/mapper/${dmName(vg.name, lv.name)}`, `/dev/${vg.name}/${lv.name}`].includes(m.device)) || realOpeners(lv).length > 0;
const lvAttr = (vg, lv) => `${lv.origin ? 's' : vg.lvs.some((x) => x.origin === lv.name) ? 'o' : '-'}${lv.origin && !lv.writable ? 'r' : 'w'}i-${lv.active ? 'a' : '-'}${lv.origin ? '-s-' : '---'}-${lv.skip ? 'k' : '-'}`;

function lvm(s) {
  const [sub, ...rest] = args;
  const o = parseLvmArgs(rest);
  const cfg = checkLvmEnv(o);
  const json = o.opts['--reportformat']?.[0] === 'json';
  const visible = (vg, foreign) => readable(s, vg) && (foreign || !vg.systemId || vg.systemId === s.localSystemId);
  const notFound = (name) => (json && sub !== 'vgchange' && report(sub.slice(0, 2), []), die(5, `  Volume group "${name}" not found\n  Cannot process volume group ${name}`));
  const findVg = (name, foreign) => { const vg = s.vgs.find((v) => v.name === name); if (!vg || !visible(vg, foreign)) notFound(name); return vg; };
  switch (sub) {
    case 'systemid':
      out(`  system ID: ${s.localSystemId}\n`);
      return;
    case 'vgs': {
      if (!json || o.pos.length !== 1) unexpected();
      const vg = findVg(o.pos[0], o.flags.includes('--foreign'));
      report('vg', [{ vg_name: vg.name, vg_uuid: vg.uuid, vg_systemid: vg.systemId, vg_tags: vg.tags.join(','), lv_count: String(vg.lvs.length), vg_exported: '' }]);
      return;
    }
    case 'pvs': {
      if (!json || o.pos.length) unexpected();
      const sel = /^vg_name=(.+)$/.exec(o.opts['-S']?.[0] ?? '');
      if (!sel) unexpected();
      const rows = s.vgs.filter((v) => v.name === sel[1] && readable(s, v)).flatMap((v) => v.pvs.map((pv) => ({ pv_name: pv, vg_name: v.name, pv_uuid: `pv-${pv}` })));
      report('pv', rows);
      return;
    }
    case 'lvs': {
      if (!json || o.pos.length !== 1) unexpected();
      if (o.pos[0].includes('/')) {
        // One LV, as lib/backup/lvm-snapshot.ts asks: lvs -o lv_name,lv_attr,lv_size,origin,origin_size,lv_tags vg/lv
        if (o.opts['-o']?.[0] !== 'lv_name,lv_attr,lv_size,origin,origin_size,lv_tags' || !o.flags.includes('--nosuffix') || o.opts['--units']?.[0] !== 'b') unexpected();
        const [vgName, lvName] = o.pos[0].split('/');
        const vg = findVg(vgName, false);
        const lv = vg.lvs.find((l) => l.name === lvName);
        if (!lv) { report('lv', []); die(5, `  Failed to find logical volume "${vgName}/${lvName}"`); }
        // as LVM: a snapshot's lv_size is its copy-on-write space (one 4 MiB extent here), its origin_size what it holds
        const size = String(lv.sizeBytes ?? 8192);
        report('lv', [{ lv_name: lv.name, lv_attr: lvAttr(vg, lv), lv_size: lv.origin ? '4194304' : size, origin: lv.origin ?? '', origin_size: lv.origin ? size : '', lv_tags: (lv.tags ?? []).join(',') }]);
        return;
      }
      const vg = findVg(o.pos[0], false);
      report('lv', vg.lvs.map((lv) => ({ lv_name: lv.name, vg_name: vg.name, lv_attr: (lv.active ? '-wi-a-----' : '-wi-------').slice(0, 9) + (lv.skip ? 'k' : '-'), lv_active: lv.active ? 'active' : '', lv_uuid: lv.uuid })));
      return;
    }
    case 'vgchange': {
      if (o.pos.length !== 1) unexpected();
      const name = o.pos[0];
      if (o.opts['--systemid']) {
        const vg = s.vgs.find((v) => v.name === name);
        if (!vg || !readable(s, vg)) notFound(name);
        if (vg.systemId && vg.systemId !== s.localSystemId && !cfg.includes(`extra_system_ids=["${vg.systemId}"]`)) {
          die(5, `  Cannot access VG ${name} with system ID ${vg.systemId} with local system ID ${s.localSystemId}.`);
        }
        if (o.opts['--systemid'][0] !== s.localSystemId) unexpected();
        vg.systemId = o.opts['--systemid'][0];
        out(`  Volume group "${name}" successfully changed\n`);
        return save(s);
      }
      const vg = findVg(name, false);
      if (o.opts['--addtag']) { if (!vg.tags.includes(o.opts['--addtag'][0])) vg.tags.push(o.opts['--addtag'][0]); return save(s); }
      if (o.opts['--deltag']) { vg.tags = vg.tags.filter((t) => t !== o.opts['--deltag'][0]); return save(s); }
      const on = o.flags.includes('-ay');
      if (!on && !o.flags.includes('-an')) unexpected();
      const vl = /volume_list=\[([^\]]*)\]/.exec(cfg)?.[1];
      if (on) {
        if (s.fail?.activate) die(5, `  ${s.fail.activate}`);
        if (vl !== undefined && !vl.split(',').some((t) => t === `"${vg.name}"` || (t.startsWith('"@') && vg.tags.includes(t.slice(2, -1))))) {
          out(`  0 logical volume(s) in volume group "${name}" now active\n`);
          return;
        }
        let next = Math.max(-1, ...s.vgs.flatMap((v) => v.lvs.map((l) => l.dm ?? -1))) + 1;
        for (const lv of vg.lvs) { if (lv.skip || lv.refuse) continue; if (lv.dm === undefined) lv.dm = next++; lv.active = true; }
        out(`  ${vg.lvs.length} logical volume(s) in volume group "${name}" now active\n`);
        return save(s);
      }
      const busy = [];
      for (const lv of vg.lvs) {
        if (lvInUse(s, vg, lv)) busy.push(lv.name);
        else lv.active = false;
      }
      save(s);
      if (busy.length) die(5, busy.map((l) => `  Logical volume ${vg.name}/${l} in use.`).join('\n') + `\n  Can't deactivate volume group "${name}" with ${busy.length} open logical volume(s)`);
      out(`  0 logical volume(s) in volume group "${name}" now active\n`);
      return;
    }
    case 'lvcreate': {
      // lib/backup/lvm-snapshot.ts: lvcreate --snapshot --name N --addtag T --permission r --extents|--size X vg/origin
      if (o.pos.length !== 1 || !o.flags.includes('--snapshot') || !o.opts['--name'] || (!o.opts['--extents'] && !o.opts['--size'])) unexpected();
      const [vgName, originName] = o.pos[0].split('/');
      const vg = findVg(vgName, false);
      const origin = vg.lvs.find((l) => l.name === originName);
      if (!origin) die(5, `  Failed to find logical volume "${vgName}/${originName}"`);
      if (!origin.active) die(5, `  Snapshot origin LV ${originName} not active.`);
      const name = o.opts['--name'][0];
      if (vg.lvs.some((l) => l.name === name)) die(5, `  Logical Volume "${name}" already exists in volume group "${vgName}"`);
      const uuid = `snap${String(vg.lvs.length).padStart(28, '0')}`;
      const dm = Math.max(-1, ...s.vgs.flatMap((v) => v.lvs.map((l) => l.dm ?? -1))) + 1;
      mkdirSync(P('/var/lib/lioha-doubles/data'), { recursive: true });
      copyFileSync(P(`/dev/dm-${origin.dm}`), P(`/var/lib/lioha-doubles/data/${uuid}`));
      vg.lvs.push({ name, uuid, active: true, dm, origin: originName, tags: o.opts['--addtag'] ?? [], writable: o.opts['--permission']?.[0] !== 'r', sizeBytes: statSync(P(`/dev/dm-${origin.dm}`)).size });
      out(`  Logical volume "${name}" created.\n`);
      return save(s);
    }
    case 'lvremove': {
      if (o.pos.length !== 1 || !o.flags.includes('--force')) unexpected();
      const [vgName, name] = o.pos[0].split('/');
      const vg = findVg(vgName, false);
      const lv = vg.lvs.find((l) => l.name === name);
      if (!lv) die(5, `  Failed to find logical volume "${vgName}/${name}"`);
      if (lvInUse(s, vg, lv)) die(5, `  Logical volume ${vgName}/${name} in use.`);
      vg.lvs = vg.lvs.filter((l) => l !== lv);
      rmSync(P(`/var/lib/lioha-doubles/data/${lv.uuid}`), { force: true });
      lv.active = false;
      save(s);
      // Rendered as inactive once more so its nodes go, then forgotten.
      rmSync(P(`/sys/block/dm-${lv.dm}`), { recursive: true, force: true });
      for (const p of [`/dev/mapper/${dmName(vgName, name)}`, `/dev/${vgName}/${name}`, `/dev/dm-${lv.dm}`]) rmSync(P(p), { force: true });
      out(`  Logical volume "${name}" successfully removed.\n`);
      return;
    }
    default:
      unexpected();
  }
}

function drbdadm(s) {
  const [sub, res, ...more] = args;
  if (more.length || !res) unexpected();
  const r = s.drbd.resources.find((x) => x.name === res);
  if (!r) die(10, `'${res}' not defined in your config (for this host).`);
  switch (sub) {
    case 'sh-minor': return out(r.minors.map((m) => `${m}\n`).join(''));
    case 'role': return out(r.minors.map(() => `${r.role}/${r.peerRole}\n`).join(''));
    case 'dstate': return out(r.minors.map((_, i) => `${r.disks[i]}/${r.peerDisks[i]}\n`).join(''));
    case 'cstate': return out(r.minors.map(() => `${r.cstate}\n`).join(''));
    case 'primary':
      if (r.peerRole === 'Primary') die(11, `${r.minors[0]}: State change failed: (-1) Multiple primaries not allowed by config`);
      r.role = 'Primary';
      return save(s);
    case 'secondary': {
      const open = s.vgs.some((v) => v.pvs.some((pv) => r.minors.includes(minorOf(pv))) && v.lvs.some((l) => l.active));
      if (open) die(11, `${r.minors[0]}: State change failed: (-12) Device is held open by someone`);
      r.role = 'Secondary';
      return save(s);
    }
    default: unexpected();
  }
}

function drbdsetup(s) {
  if (args.join(' ') === 'show') {
    const q = s.drbd.version.startsWith('9') ? '"' : '';
    return out(s.drbd.resources.map((r) => `resource ${q}${r.name}${q} {\n    options {\n    }\n    _this_host {\n` +
      r.minors.map((m, i) => `        volume ${i} {\n            device\t\t\tminor ${m};\n            disk\t\t\t"/dev/vg0/lv-drbd${m}";\n            meta-disk\t\t\tinternal;\n        }\n`).join('') +
      '    }\n}\n').join('\n'));
  }
  if (args.join(' ') !== 'status --json') unexpected();
  if (!s.drbd.version.startsWith('9')) die(20, 'drbdsetup status: unrecognized option --json');
  out(JSON.stringify(s.drbd.resources.map((r) => ({
    name: r.name, 'node-id': 0, role: r.role, suspended: false,
    devices: r.minors.map((m, i) => ({ volume: i, minor: m, 'disk-state': r.disks[i], client: false, quorum: true, open: false, size: 1024, read: 0, written: 0, 'al-writes': 0, 'bm-writes': 0, 'upper-pending': 0, 'lower-pending': 0 })),
    connections: r.cstate === 'StandAlone' ? [] : [{ 'peer-node-id': 1, name: 'peer', 'connection-state': r.cstate === 'WFConnection' ? 'Connecting' : 'Connected', 'peer-role': r.peerRole,
      peer_devices: r.minors.map((_, i) => ({ volume: i, 'replication-state': 'Established', 'peer-disk-state': r.peerDisks[i], 'out-of-sync': 0 })) }],
  })), null, 2) + '\n');
}

function mount(s) {
  const a = [...args];
  let fstype; let opts;
  while (a[0]?.startsWith('-')) {
    const f = a.shift();
    if (f === '-t') fstype = a.shift(); else if (f === '-o') opts = a.shift(); else unexpected();
  }
  if (a.length !== 2 || !fstype) unexpected();
  const [dev, mp] = a.map(unroot);
  if (!existsSync(P(dev))) die(32, `mount: ${mp}: special device ${dev} does not exist.`);
  if (!existsSync(P(mp)) || !statSync(P(mp)).isDirectory()) die(32, `mount: ${mp}: mount point does not exist.`);
  if (s.fail?.mount) die(32, `mount: ${mp}: ${s.fail.mount}`);
  if (fstype !== s.fsOnDisk) die(32, `mount: ${mp}: wrong fs type, bad option, bad superblock on ${dev}, missing codepage or helper program, or other error.`);
  s.mounts.push({ device: dev, mountPoint: mp, fstype, options: opts ? `rw,${opts}` : 'rw,relatime' });
  save(s);
}

function umount(s) {
  if (args.length !== 1) unexpected();
  const mp = unroot(args[0]);
  const i = s.mounts.findLastIndex((m) => m.mountPoint === mp);
  if (i < 0) die(32, `umount: ${mp}: not mounted.`);
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  if (s.busyMounts.includes(mp) || (s.busyPids?.[mp] ?? []).some(alive)) die(32, `umount: ${mp}: target is busy.`);
  s.mounts.splice(i, 1);
  save(s);
}

/**
 * The real tools serialise on their own locks (LVM's per-VG and global locks, DRBD's state
 * lock) and an agent may run several at once: one double at a time here, so none reads the
 * state file while another rewrites it or loses another's update. The lock file holds the
 * holder's pid; a holder that died without removing it (SIGKILL on a timeout) is taken over.
 */
function lockState() {
  const lock = `${STATE}.lock`;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; ; i++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => rmSync(lock, { force: true }));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder;
    try { holder = Number.parseInt(readFileSync(lock, 'utf8'), 10); } catch { continue; } // released meanwhile
    // No pid yet: its holder is between creating and writing it. Wait like for a live one.
    if (Number.isInteger(holder)) {
      let alive = true;
      try { process.kill(holder, 0); } catch (e) { alive = e.code === 'EPERM'; }
      if (!alive) { rmSync(lock, { force: true }); continue; }
    }
    if (i > 6000) die(99, `double: state lock ${lock} held by ${holder} for 30 s`);
    Atomics.wait(nap, 0, 0, 5);
  }
}

if (tool === 'render') {
  render(load());
} else {
  lockState();
  const s = load();
  logCall(s);
  writeFileSync(STATE, JSON.stringify(s, null, 2));
  ({ lvm, drbdadm, drbdsetup, mount, umount }[tool] ?? unexpected)(s);
}
