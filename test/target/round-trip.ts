/**
 * Compares a saveconfig.json with what `lioha target save` wrote after the agent started it,
 * allowing exactly the normalisations docs/target-saveconfig.md lists:
 *  - only the owned targets and the storage objects they use are saved (fabric_modules too is
 *    node-global and not saved);
 *  - the save adds what targetcli adds (every kernel attribute and parameter, LUN and mapped
 *    LUN aliases, the ALUA group, defaults such as iser/offload/enable/write_protect);
 *  - attributes and parameters the running kernel lacks are gone (start reported them);
 *  - device-bound attributes the kernel refused keep the device's value (start reported them, as `<so name>/<attr>`);
 *  - tcq_depth and exclusive are not saved (targetcli no longer writes the first; the second
 *    is not visible in configfs), nor empty chap_* fields, nullio:false or ACL parameters;
 *  - a ramdisk size becomes whole 4 KiB pages; an IPv6 portal address is bracketed;
 *  - a block object's write cache (emulate_write_cache, write_back) is the backing device's: a
 *    configured 1/true is skipped and saves as the device's 0/false, as under targetctl restore;
 *  - emulate_dpo and emulate_fua_read save as 1 whatever was configured (always emulated).
 * Every other input field must come back equal. Returns the differences (empty when equal).
 */
import { ALWAYS_ONE } from '../../lib/configfs/attribute-decider.js';

type J = Record<string, any>;

const eq = (a: unknown, b: unknown) => String(a) === String(b) || (typeof a === 'boolean' && Number(a) === Number(b)) || (typeof b === 'boolean' && Number(a) === Number(b));
const bare = (ip: string) => ip.replace(/^\[(.*)\]$/, '$1');

export function roundTripDifferences(input: J, saved: J, owned: readonly string[], missing: ReadonlySet<string>, refused: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const diff = (path: string, a: unknown, b: unknown) => { if (!eq(a, b)) out.push(`${path}: input ${JSON.stringify(a)}, saved ${JSON.stringify(b)}`); };
  const subset = (path: string, a: J | undefined, b: J | undefined) => {
    for (const [k, v] of Object.entries(a ?? {})) {
      if (missing.has(k)) { if (b?.[k] !== undefined) out.push(`${path}.${k}: reported missing but saved`); continue; }
      if (b?.[k] === undefined) out.push(`${path}.${k}: not saved`);
      else diff(`${path}.${k}`, v, b[k]);
    }
  };
  const chap = (path: string, a: J, b: J) => {
    for (const k of ['chap_userid', 'chap_password', 'chap_mutual_userid', 'chap_mutual_password']) {
      if (a[k]) diff(`${path}.${k}`, a[k], b[k]);
      else if (b[k] !== undefined) out.push(`${path}.${k}: saved though not set`);
    }
  };
  const byKey = <T extends J>(list: T[] | undefined, key: (x: T) => string) => new Map((list ?? []).map((x) => [key(x), x]));

  const savedTargets = byKey<J>(saved.targets, (t) => t.wwn);
  if ([...savedTargets.keys()].sort().join() !== [...owned].sort().join()) out.push(`targets: saved ${[...savedTargets.keys()]}, owned ${owned}`);
  if (saved.fabric_modules?.length) out.push('fabric_modules: saved by a target resource');
  const used = new Set<string>();
  for (const t of (input.targets ?? []) as J[]) {
    if (!owned.includes(t.wwn)) continue;
    const st = savedTargets.get(t.wwn);
    if (!st) continue;
    const p = t.wwn;
    subset(`${p}.parameters`, t.parameters, st.parameters);
    const stpgs = byKey<J>(st.tpgs, (x) => String(x.tag));
    if (stpgs.size !== (t.tpgs ?? []).length) out.push(`${p}.tpgs: ${stpgs.size} saved, ${(t.tpgs ?? []).length} in input`);
    for (const tpg of (t.tpgs ?? []) as J[]) {
      const tp = `${p}.tpg${tpg.tag}`;
      const s = stpgs.get(String(tpg.tag));
      if (!s) { out.push(`${tp}: not saved`); continue; }
      if (tpg.enable !== undefined) diff(`${tp}.enable`, tpg.enable, s.enable);
      subset(`${tp}.attributes`, tpg.attributes, s.attributes);
      subset(`${tp}.parameters`, tpg.parameters, s.parameters);
      chap(tp, tpg, s);
      const sl = byKey<J>(s.luns, (x) => String(x.index));
      if (sl.size !== (tpg.luns ?? []).length) out.push(`${tp}.luns: ${sl.size} saved, ${(tpg.luns ?? []).length} in input`);
      for (const l of (tpg.luns ?? []) as J[]) {
        used.add(l.storage_object);
        const x = sl.get(String(l.index));
        if (!x) { out.push(`${tp}.lun${l.index}: not saved`); continue; }
        for (const k of ['storage_object', 'alias', 'alua_tg_pt_gp_name']) if (l[k] !== undefined) diff(`${tp}.lun${l.index}.${k}`, l[k], x[k]);
      }
      const sp = byKey<J>(s.portals, (x) => `${bare(x.ip_address)}:${x.port}`);
      if (sp.size !== (tpg.portals ?? []).length) out.push(`${tp}.portals: ${sp.size} saved, ${(tpg.portals ?? []).length} in input`);
      for (const np of (tpg.portals ?? []) as J[]) {
        const ip = bare(np.ip_address);
        const x = sp.get(`${ip}:${np.port}`);
        if (!x) { out.push(`${tp}.portal ${np.ip_address}:${np.port}: not saved`); continue; }
        diff(`${tp}.portal.ip_address`, ip.includes(':') ? `[${ip}]` : ip, x.ip_address);
        diff(`${tp}.portal.iser`, np.iser ?? false, x.iser);
        diff(`${tp}.portal.offload`, np.offload ?? false, x.offload);
      }
      const sa = byKey<J>(s.node_acls, (x) => x.node_wwn);
      if (sa.size !== (tpg.node_acls ?? []).length) out.push(`${tp}.node_acls: ${sa.size} saved, ${(tpg.node_acls ?? []).length} in input`);
      for (const a of (tpg.node_acls ?? []) as J[]) {
        const ap = `${tp}.acl ${a.node_wwn}`;
        const x = sa.get(a.node_wwn);
        if (!x) { out.push(`${ap}: not saved`); continue; }
        subset(`${ap}.attributes`, a.attributes, x.attributes);
        chap(ap, a, x);
        if (a.tag !== undefined && a.tag !== 'NULL') diff(`${ap}.tag`, a.tag, x.tag);
        if (x.tcq_depth !== undefined) out.push(`${ap}.tcq_depth: saved (targetcli does not)`);
        const sm = byKey<J>(x.mapped_luns, (m) => String(m.index));
        if (sm.size !== (a.mapped_luns ?? []).length) out.push(`${ap}.mapped_luns: ${sm.size} saved, ${(a.mapped_luns ?? []).length} in input`);
        for (const m of (a.mapped_luns ?? []) as J[]) {
          const y = sm.get(String(m.index));
          if (!y) { out.push(`${ap}.mapped_lun${m.index}: not saved`); continue; }
          diff(`${ap}.mapped_lun${m.index}.tpg_lun`, m.tpg_lun, y.tpg_lun);
          diff(`${ap}.mapped_lun${m.index}.write_protect`, m.write_protect ?? false, y.write_protect);
          if (m.alias !== undefined) diff(`${ap}.mapped_lun${m.index}.alias`, m.alias, y.alias);
        }
      }
    }
  }
  const savedSos = byKey<J>(saved.storage_objects, (s) => `/backstores/${s.plugin}/${s.name}`);
  if ([...savedSos.keys()].sort().join() !== [...used].sort().join()) out.push(`storage_objects: saved ${[...savedSos.keys()]}, used ${[...used]}`);
  for (const so of (input.storage_objects ?? []) as J[]) {
    const ref = `/backstores/${so.plugin}/${so.name}`;
    if (!used.has(ref)) continue;
    const s = savedSos.get(ref);
    if (!s) continue;
    // A block object's write cache is the device's (lib/configfs/attribute-decider.ts): a configured 1 saves as 0.
    const deviceWce = so.plugin === 'block' && (String(so.attributes?.emulate_write_cache ?? (so.write_back ? 1 : 0)) === '1');
    for (const [k, v] of Object.entries(so)) {
      switch (k) {
        case 'attributes': {
          const kept = Object.keys(v as J).filter((a) => refused.has(`${so.name}/${a}`));
          for (const a of kept) if (s.attributes?.[a] === undefined) out.push(`${ref}.attributes.${a}: refused and not saved`);
          const { emulate_write_cache: wce, ...rest } = Object.fromEntries(Object.entries(v as J).filter(([a]) => !kept.includes(a))) as J;
          // DPO and FUA READ are always emulated: a configured 0 saves as 1 (attribute-decider.ts)
          for (const a of ALWAYS_ONE) if (rest[a] !== undefined) { diff(`${ref}.attributes.${a}`, 1, s.attributes?.[a]); delete rest[a]; }
          subset(`${ref}.attributes`, deviceWce ? rest : { ...rest, ...(wce !== undefined ? { emulate_write_cache: wce } : {}) }, s.attributes);
          if (deviceWce && wce !== undefined && String(s.attributes?.emulate_write_cache) !== '0') out.push(`${ref}.attributes.emulate_write_cache: device's value not saved`);
          break;
        }
        case 'write_back': if (deviceWce) diff(`${ref}.write_back`, false, s.write_back); else diff(`${ref}.write_back`, v, s.write_back); break;
        case 'exclusive': break;
        case 'nullio': if (v) diff(`${ref}.nullio`, v, s.nullio); else if (s.nullio !== undefined) out.push(`${ref}.nullio: false saved`); break;
        case 'size': diff(`${ref}.size`, so.plugin === 'ramdisk' ? Math.max(1, Math.round(Number(v) / 4096)) * 4096 : v, s.size); break;
        case 'alua_tpgs': {
          const g = (v as J[]).find((x) => x.name === 'default_tg_pt_gp');
          const sg = (s.alua_tpgs as J[]).find((x) => x.name === 'default_tg_pt_gp');
          if (g && !sg) out.push(`${ref}.alua_tpgs: default group not saved`);
          if (g && sg) for (const [gk, gv] of Object.entries(g)) if (gk !== 'members') diff(`${ref}.alua_tpgs.${gk}`, gv, sg[gk]);
          break;
        }
        default:
          if (s[k] === undefined) out.push(`${ref}.${k}: not saved`);
          else diff(`${ref}.${k}`, v, s[k]);
      }
    }
  }
  return out;
}
