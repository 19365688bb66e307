#!/usr/bin/env node
// An `lvm` double for lioha backup tests: LVs are regular files <root>/dev/<vg>/<lv>; snapshots
// are copies, their origin and tags kept in <root>/var/lib/lioha-backup-double/lvs.json. It
// checks the arguments lib/backup/lvm-snapshot.ts must pass (the DRBD-only --config filter,
// a read-only tagged snapshot) and logs every call.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = process.env.LIOHA_ROOT;
if (!ROOT || ROOT === '/') { process.stderr.write('lvm double: needs a fixture LIOHA_ROOT\n'); process.exit(99); }
const state = join(ROOT, 'var/lib/lioha-backup-double');
mkdirSync(state, { recursive: true });
const db = join(state, 'lvs.json');
const load = () => (existsSync(db) ? JSON.parse(readFileSync(db, 'utf8')) : {});
const save = (s) => writeFileSync(db, JSON.stringify(s));
const [sub, ...args] = process.argv.slice(2);
appendFileSync(join(state, 'calls.log'), `${sub} ${args.join(' ')}\n`);
const die = (code, msg) => { process.stderr.write(`${msg}\n`); process.exit(code); };
const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const cfg = opt('--config');
if (!cfg || !cfg.includes('filter=') || !cfg.includes('drbd')) die(99, `lvm double: ${sub} without the DRBD-only --config filter`);
const target = args.at(-1);
const [vg, name] = target.split('/');
const dev = (lv) => join(ROOT, 'dev', vg, lv);

if (sub === 'lvs') {
  if (!existsSync(dev(name))) die(5, `  Failed to find logical volume "${vg}/${name}"`);
  const meta = load()[`${vg}/${name}`] ?? { origin: '', tags: [] };
  const attr = meta.origin ? 'sri-a-s---' : '-wi-ao----';
  // as LVM: a snapshot's lv_size is its copy-on-write space (one 4 MiB extent here), its origin_size what it holds
  const size = String(statSync(dev(name)).size);
  process.stdout.write(JSON.stringify({ report: [{ lv: [{ lv_name: name, lv_attr: attr, lv_size: meta.origin ? '4194304' : size, origin: meta.origin, origin_size: meta.origin ? size : '', lv_tags: meta.tags.join(',') }] }] }));
} else if (sub === 'lvcreate') {
  if (process.env.LVM_DOUBLE_FAIL_CREATE) die(5, '  Insufficient free space: 1280 extents needed, but only 0 available');
  const snap = opt('--name');
  if (!args.includes('--snapshot') || opt('--permission') !== 'r' || opt('--addtag') !== 'lioha-backup') die(99, `lvm double: unexpected lvcreate ${args.join(' ')}`);
  if (!opt('--size') && !opt('--extents')) die(3, 'lvm double: snapshot without a size');
  if (existsSync(dev(snap))) die(5, `  Logical Volume "${snap}" already exists in volume group "${vg}"`);
  copyFileSync(dev(name), dev(snap));
  const s = load();
  s[`${vg}/${snap}`] = { origin: name, tags: ['lioha-backup'] };
  save(s);
  process.stdout.write(`  Logical volume "${snap}" created.\n`);
} else if (sub === 'lvremove') {
  if (!args.includes('--force')) die(99, 'lvm double: lvremove without --force would prompt');
  if (!existsSync(dev(name))) die(5, `  Failed to find logical volume "${vg}/${name}"`);
  unlinkSync(dev(name));
  const s = load();
  delete s[`${vg}/${name}`];
  save(s);
  process.stdout.write(`  Logical volume "${name}" successfully removed.\n`);
} else die(99, `lvm double: unexpected ${sub}`);
