// Host-side preparation for 48-corpus (run by boot.sh before the VM boots): every saveconfig corpus file
// (test/target/corpus-files.ts: the repository's copy plus the shared folder when there), made to fit the lab VM
// without changing its schema:
//  - block devices become the guest's LVs /dev/labvg/c<N>; fileio files go to /srv/corpus/<id>/, at most 8 MiB;
//    ramdisks get 4 MiB (a 1 GiB VM cannot hold 8 GiB of ramdisk pages);
//  - portal addresses stay: the guest puts them on a dummy interface of its own (they never leave the VM);
//  - a missing unit serial (an old file) is the agent's derived one (derive_wwn), written into both copies.
// Two copies per file: agent.json (the whole file: what the agent does not own it must ignore) and targetctl.json
// (only what the agent owns: its iSCSI targets and the storage objects they use, which is what `targetctl
// restore` of the whole file would build for those targets), so the two trees can be compared object by object.
// Output: files.tsv (id, owned IQNs, derive_wwn), <id>/{agent,targetctl}.json, setup.env (LVs, addresses).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseSaveConfig } from '../../../lib/configfs/saveconfig.js';
import { deriveSerial, selectDesired } from '../../../lib/configfs/desired.js';
import { corpusFiles, ownable } from '../../target/corpus-files.js';

const out = process.argv[2];
if (!out) throw new Error('usage: 48-corpus.prepare.ts <dir>');
const MiB = 2 ** 20;
type J = Record<string, any>;

const rows: string[] = [];
const addresses = new Set<string>();
let lvs = 0;
for (const [i, f] of corpusFiles().entries()) {
  const id = `${String(i).padStart(2, '0')}-${basename(f.name, '.json')}`;
  const text = readFileSync(f.path, 'utf8');
  const doc = JSON.parse(text) as J;
  const { owned, deriveWwn } = ownable(text);
  if (!owned.length) throw new Error(`${f.name}: no target lioha can own`);
  const desired = selectDesired(parseSaveConfig(text, f.name), owned, { deriveWwn: true });
  let n = 0;
  for (const so of (doc.storage_objects ?? []) as J[]) {
    const ref = `/backstores/${so.plugin}/${so.name}`;
    if (!so.wwn && desired.storageObjects.has(ref as never)) so.wwn = deriveSerial(ref as never);
    if (so.plugin === 'block') so.dev = `/dev/labvg/c${n++}`;
    else if (so.plugin === 'fileio') { so.dev = `/srv/corpus/${id}/${basename(so.dev ?? so.name)}`; so.size = Math.min(Number(so.size ?? 8 * MiB), 8 * MiB); }
    else if (so.plugin === 'ramdisk') so.size = 4 * MiB;
    else if (so.plugin === 'pscsi') throw new Error(`${f.name}: pscsi needs a real SCSI device; the lab has none`);
  }
  lvs = Math.max(lvs, n);
  for (const t of (doc.targets ?? []) as J[]) for (const tpg of t.tpgs ?? []) for (const p of tpg.portals ?? []) {
    const ip = String(p.ip_address).replace(/^\[(.*)\]$/, '$1');
    if (!['0.0.0.0', '::', '127.0.0.1', '::1'].includes(ip)) addresses.add(ip);
  }
  // targetctl's copy: the owned targets and the storage objects they use, nothing node-global.
  const mine = { ...doc, fabric_modules: [] as J[] } as J;
  mine.targets = (doc.targets ?? []).filter((t: J) => owned.includes(t.wwn));
  // The guest's targetctl is bookworm's rtslib-fb 2.1.75, which predates "exclusive" (2.2.x) and refuses the
  // object; the field is not visible in configfs (docs/target-saveconfig.md), so its copy goes without it.
  mine.storage_objects = (doc.storage_objects ?? []).filter((so: J) => desired.storageObjects.has(`/backstores/${so.plugin}/${so.name}` as never))
    .map(({ exclusive: _x, ...so }: J) => so);
  mkdirSync(join(out, id), { recursive: true });
  writeFileSync(join(out, id, 'agent.json'), JSON.stringify(doc, null, 2));
  writeFileSync(join(out, id, 'targetctl.json'), JSON.stringify(mine, null, 2));
  rows.push([id, owned.join(' '), deriveWwn ? 'true' : 'false'].join('\t'));
}
writeFileSync(join(out, 'files.tsv'), rows.join('\n') + '\n');
writeFileSync(join(out, 'setup.env'), `CORPUS_LVS=${lvs}\nCORPUS_ADDRESSES='${[...addresses].sort().join(' ')}'\n`);
console.log(`48-corpus: ${rows.length} files, ${lvs} LVs, addresses ${[...addresses].join(' ') || '-'}`);
