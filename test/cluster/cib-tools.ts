/**
 * Offline Pacemaker tooling for the wiring tests: build a CIB file with the
 * generated pcs/crmsh scripts (agents' meta-data visible to pcs/crmsh through a
 * private overlay over /usr/lib/ocf/resource.d, so the host is never touched),
 * normalise a CIB for comparison, and read crm_simulate transition graphs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { metadataXml } from '../../lib/ocf/metadata-xml.js';
import type { AgentRegistry } from '../../lib/cluster/member-agents.js';

export interface Run {
  code: number;
  out: string;
}

export function sh(cmd: string, args: string[], env: Record<string, string> = {}, input?: string): Run {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 180_000,
    ...(input !== undefined && { input }),
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const temps: string[] = [];

/** A temporary directory, removed by removeTemps(). */
export function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `lioha-${prefix}-`));
  temps.push(d);
  return d;
}

/** Removes every directory tmp() made in this test file (call from afterAll). */
export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function missingTools(): string[] {
  return ['pcs', 'crm', 'crm_verify', 'crm_simulate', 'crm_attribute', 'crm_resource', 'crm_mon', 'unshare'].filter(
    (t) => sh('sh', ['-c', `command -v ${t}`]).code !== 0,
  );
}

/**
 * A directory holding `lioha/<agent>` executables that answer meta-data exactly
 * as the built agents do (same generator), which is all pcs and crmsh ask of an
 * agent while editing a CIB file. Building dist/ is not needed for these tests.
 */
export function metadataLayer(agents: AgentRegistry): string {
  const dir = tmp('ocf-layer');
  mkdirSync(join(dir, 'lioha'));
  for (const def of Object.values(agents)) {
    if (!def) continue;
    writeFileSync(
      join(dir, 'lioha', def.name),
      `#!/bin/sh\ncase "$1" in\nmeta-data) cat <<'LIOHA_XML'\n${metadataXml(def)}LIOHA_XML\n;;\n*) exit 3;;\nesac\n`,
      { mode: 0o755 },
    );
  }
  return dir;
}

/** Runs a command in a private mount namespace where `layer`'s providers appear under /usr/lib/ocf/resource.d. */
export function withAgents(layer: string, cmd: string, args: string[], env: Record<string, string> = {}): Run {
  const script =
    'mount -t overlay lioha-ocf -o "lowerdir=$0:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d && exec "$@"';
  return sh('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, layer, cmd, ...args], env);
}

/**
 * An empty CIB with these nodes, quorate (crm_simulate then schedules without a
 * live cluster). Starts from `cibadmin --empty` so the feature set and schema
 * are the installed Pacemaker's (pcs refuses to patch a CIB without them).
 */
export function baseCib(nodes: readonly string[]): string {
  const empty = sh('cibadmin', ['--empty']);
  if (empty.code !== 0) throw new Error(`cibadmin --empty failed: ${empty.out}`);
  const ns = nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('');
  return empty.out
    .replace('<cib ', '<cib have-quorum="1" dc-uuid="1" ')
    .replace(/<nodes\/>/, `<nodes>${ns}</nodes>`);
}

/** As buildCib, without blocking: the pcs scripts take seconds each, so tests build several at once. */
export async function buildCibAsync(kind: 'pcs' | 'crm', script: string, nodes: readonly string[], layer: string): Promise<string> {
  const dir = tmp(`cib-${kind}`);
  const cib = join(dir, 'cib.xml');
  writeFileSync(cib, baseCib(nodes));
  const file = join(dir, 'script.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const env: Record<string, string> = kind === 'pcs' ? { LIOHA_CIB: cib } : { CIB_file: cib };
  const mountCmd = 'mount -t overlay lioha-ocf -o "lowerdir=$0:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d && exec "$@"';
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', mountCmd, layer, 'sh', file], {
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
  if (code !== 0) throw new Error(`${kind} script failed (${code}):\n${out}`);
  return cib;
}

/** Applies a generated script to a fresh CIB file; returns its path. */
export function buildCib(kind: 'pcs' | 'crm', script: string, nodes: readonly string[], layer: string): string {
  const dir = tmp(`cib-${kind}`);
  const cib = join(dir, 'cib.xml');
  writeFileSync(cib, baseCib(nodes));
  const file = join(dir, 'script.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const env: Record<string, string> = kind === 'pcs' ? { LIOHA_CIB: cib } : { CIB_file: cib };
  const r = withAgents(layer, 'sh', [file], env);
  if (r.code !== 0) throw new Error(`${kind} script failed (${r.code}):\n${r.out}`);
  return cib;
}

// ---- CIB normalisation -------------------------------------------------------

type X = { $?: Record<string, string>; [k: string]: unknown };
const kids = (x: X | undefined, name: string): X[] => ((x?.[name] as X[] | undefined) ?? []);
const attr = (x: X | undefined, name: string): string | undefined => x?.$?.[name];

/** Seconds from a Pacemaker interval/timeout ("0", "10s", "2min", "1000ms"). */
function seconds(v: string | undefined): number {
  if (v === undefined) return 0;
  const m = /^(\d+)\s*(ms|msec|s|sec|m|min|h|hr)?$/.exec(v.trim());
  if (!m) throw new Error(`unparsable duration ${v}`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ms': case 'msec': return n / 1000;
    case 'm': case 'min': return n * 60;
    case 'h': case 'hr': return n * 3600;
    default: return n;
  }
}

function nvpairs(sets: X[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) for (const p of kids(s, 'nvpair')) out[attr(p, 'name')!] = attr(p, 'value')!;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function primitive(p: X): object {
  const ops = kids(kids(p, 'operations')[0], 'op').map((o) => ({
    name: attr(o, 'name'),
    interval: seconds(attr(o, 'interval')),
    timeout: seconds(attr(o, 'timeout')),
    role: attr(o, 'role') ?? null,
    attrs: nvpairs(kids(o, 'instance_attributes')),
  }));
  ops.sort((a, b) => `${a.name}/${a.interval}`.localeCompare(`${b.name}/${b.interval}`));
  return {
    id: attr(p, 'id'),
    agent: `${attr(p, 'class')}:${attr(p, 'provider')}:${attr(p, 'type')}`,
    params: nvpairs(kids(p, 'instance_attributes')),
    meta: nvpairs(kids(p, 'meta_attributes')),
    ops,
  };
}

/**
 * The meaning of a CIB's configuration without tool-specific ids and defaults
 * (pcs writes rsc-role="Started", crmsh leaves it out; ids of nvpairs differ).
 */
export async function normalizeCib(xml: string): Promise<object> {
  const doc = (await parseStringPromise(xml)) as { cib: X };
  const conf = kids(doc.cib, 'configuration')[0]!;
  const res = kids(conf, 'resources')[0];
  const cons = kids(conf, 'constraints')[0];
  const props = nvpairs(
    kids(kids(conf, 'crm_config')[0], 'cluster_property_set').filter((s) => attr(s, 'id') === 'cib-bootstrap-options'),
  );
  const opDefaults = nvpairs(kids(kids(conf, 'op_defaults')[0], 'meta_attributes'));
  const clones = kids(res, 'clone').map((c) => ({
    id: attr(c, 'id'),
    meta: nvpairs(kids(c, 'meta_attributes')),
    primitive: primitive(kids(c, 'primitive')[0]!),
  }));
  const groups = kids(res, 'group').map((g) => ({
    id: attr(g, 'id'),
    meta: nvpairs(kids(g, 'meta_attributes')),
    members: kids(g, 'primitive').map(primitive),
  }));
  const colocations = kids(cons, 'rsc_colocation').map((c) => ({
    id: attr(c, 'id'),
    rsc: attr(c, 'rsc'),
    rscRole: attr(c, 'rsc-role') ?? 'Started',
    withRsc: attr(c, 'with-rsc'),
    withRole: attr(c, 'with-rsc-role') ?? 'Started',
    score: attr(c, 'score'),
  }));
  const orders = kids(cons, 'rsc_order').map((o) => ({
    id: attr(o, 'id'),
    first: attr(o, 'first'),
    firstAction: attr(o, 'first-action') ?? 'start',
    then: attr(o, 'then'),
    thenAction: attr(o, 'then-action') ?? attr(o, 'first-action') ?? 'start',
    kind: attr(o, 'kind') ?? 'Mandatory',
    symmetrical: attr(o, 'symmetrical') ?? 'true',
  }));
  const locations = kids(cons, 'rsc_location').map((l) => ({
    id: attr(l, 'id'),
    rsc: attr(l, 'rsc'),
    node: attr(l, 'node') ?? null,
    score: attr(l, 'score') ?? null,
    role: attr(l, 'role') ?? null,
    rules: kids(l, 'rule').map((r) => ({
      role: attr(r, 'role') ?? null,
      score: attr(r, 'score'),
      expressions: kids(r, 'expression').map((e) => `${attr(e, 'attribute')} ${attr(e, 'operation')} ${attr(e, 'value')}`),
    })),
  }));
  const byId = <T extends { id?: string }>(a: T[]): T[] => a.sort((x, y) => (x.id ?? '').localeCompare(y.id ?? ''));
  return {
    properties: props,
    opDefaults,
    clones: byId(clones),
    groups: byId(groups),
    constraints: { colocations: byId(colocations), orders: byId(orders), locations: byId(locations) },
  };
}

// ---- crm_simulate ------------------------------------------------------------

export interface GraphAction {
  /** `<rsc>_<op>_<interval ms>@<node>`, clone instance numbers dropped; pseudo actions have no node. */
  key: string;
  inputs: string[];
}

/** Actions of a transition graph and what each waits for. */
export async function readGraph(file: string): Promise<Map<string, GraphAction>> {
  const doc = (await parseStringPromise(readFileSync(file, 'utf8'))) as { transition_graph: X };
  const byId = new Map<string, string>();
  const name = (ev: X): string => {
    const k = (attr(ev, 'operation_key') ?? '').replace(/:\d+_/, '_');
    const node = attr(ev, 'on_node');
    return node ? `${k}@${node}` : k;
  };
  const events = (set: X): X[] => [...kids(set, 'rsc_op'), ...kids(set, 'pseudo_event'), ...kids(set, 'crm_event')];
  const synapses = kids(doc.transition_graph, 'synapse');
  for (const s of synapses) for (const ev of events(kids(s, 'action_set')[0]!)) byId.set(attr(ev, 'id')!, name(ev));
  const out = new Map<string, GraphAction>();
  for (const s of synapses) {
    const ev = events(kids(s, 'action_set')[0]!)[0]!;
    const inputs = kids(kids(s, 'inputs')[0], 'trigger').flatMap((t) => events(t).map((e) => byId.get(attr(e, 'id')!) ?? name(e)));
    out.set(name(ev), { key: name(ev), inputs });
  }
  return out;
}

/** True when `after` (transitively) waits for `before` in the graph. */
export function waitsFor(g: Map<string, GraphAction>, after: string, before: string): boolean {
  const seen = new Set<string>();
  const stack = [after];
  while (stack.length > 0) {
    const k = stack.pop()!;
    for (const i of g.get(k)?.inputs ?? []) {
      if (i === before) return true;
      if (!seen.has(i)) {
        seen.add(i);
        stack.push(i);
      }
    }
  }
  return false;
}

/** The meta attributes (CRM_meta_*) the agent gets for one graph action, e.g. `p_vg_vg1_start_0@node`. */
export async function actionMeta(file: string, key: string): Promise<Record<string, string>> {
  const doc = (await parseStringPromise(readFileSync(file, 'utf8'))) as { transition_graph: X };
  for (const s of kids(doc.transition_graph, 'synapse')) {
    for (const op of kids(kids(s, 'action_set')[0], 'rsc_op')) {
      const k = `${(attr(op, 'operation_key') ?? '').replace(/:\d+_/, '_')}@${attr(op, 'on_node')}`;
      if (k !== key) continue;
      const a = kids(op, 'attributes')[0]?.$ ?? {};
      return Object.fromEntries(Object.entries(a).filter(([n]) => n.startsWith('CRM_meta_')));
    }
  }
  throw new Error(`no action ${key} in ${file}`);
}

/** Resource operations (not pseudo, not probes/recurring monitors) of a graph. */
export function changes(g: Map<string, GraphAction>): string[] {
  return [...g.keys()].filter((k) => /_(start|stop|promote|demote)_0@/.test(k) && !k.includes('_notify_')).sort();
}

export interface Placement {
  /** primitive id -> node, for started (non-clone) resources */
  started: Record<string, string>;
  /** clone id -> nodes where it is Promoted / Unpromoted */
  promoted: Record<string, string[]>;
  unpromoted: Record<string, string[]>;
}

export async function placement(cib: string): Promise<Placement> {
  const r = sh('crm_mon', ['-1', '--output-as=xml'], { CIB_file: cib });
  const doc = (await parseStringPromise(r.out.slice(r.out.indexOf('<')))) as { 'pacemaker-result': X };
  const out: Placement = { started: {}, promoted: {}, unpromoted: {} };
  const walk = (x: X, clone?: string): void => {
    for (const rsc of kids(x, 'resource')) {
      const node = attr(kids(rsc, 'node')[0], 'name');
      if (!node) continue;
      const role = attr(rsc, 'role');
      if (clone && (role === 'Promoted' || role === 'Unpromoted')) {
        const m = role === 'Promoted' ? out.promoted : out.unpromoted;
        (m[clone] ??= []).push(node);
      } else if (role === 'Started') out.started[attr(rsc, 'id')!] = node;
    }
    for (const g of kids(x, 'group')) walk(g, clone);
    for (const c of kids(x, 'clone')) walk(c, attr(c, 'id'));
  };
  walk(kids(doc['pacemaker-result'], 'resources')[0]!);
  return out;
}

/**
 * A CIB file stepped through crm_simulate. After every transition the DRBD
 * promotion scores are set as drbd.ocf would (crm_master: 10000 on the Primary,
 * 1000 on an UpToDate Secondary), or all equal (a stand-in such as Stateful, or
 * two Secondaries after a clean restart) so that only stickiness can keep a
 * group where it is.
 */
export class Simulation {
  private n = 0;
  constructor(
    public file: string,
    private readonly dir: string,
    /** clone id -> primitive id, e.g. ms_drbd_r0 -> p_drbd_r0 */
    private readonly clones: Record<string, string>,
    public scores: 'drbd' | 'equal' = 'drbd',
  ) {}

  /** One transition; returns its graph. */
  async step(mods: { up?: string[]; down?: string[]; fail?: string[] } = {}): Promise<Map<string, GraphAction>> {
    const out = join(this.dir, `state-${++this.n}.xml`);
    const graph = join(this.dir, `graph-${this.n}.xml`);
    const args = ['-x', this.file, '-S', '-O', out, '-G', graph];
    for (const u of mods.up ?? []) args.push('-u', u);
    for (const d of mods.down ?? []) args.push('-d', d);
    for (const f of mods.fail ?? []) args.push('-f', f);
    const r = sh('crm_simulate', args);
    if (r.code !== 0) throw new Error(`crm_simulate failed (${r.code}):\n${r.out}`);
    this.file = out;
    await this.setScores();
    return readGraph(graph);
  }

  /** Transitions until nothing changes any more; returns every graph. */
  async settle(mods: { up?: string[]; down?: string[]; fail?: string[] } = {}): Promise<Map<string, GraphAction>[]> {
    const graphs = [await this.step(mods)];
    for (let i = 0; i < 6; i++) {
      const g = await this.step();
      if (changes(g).length === 0) return graphs;
      graphs.push(g);
    }
    throw new Error('the cluster did not settle within 6 transitions');
  }

  /**
   * A crashed node rebooted: it comes back with no resource history (the DC
   * replaces it with the node's fresh, empty one when it rejoins).
   */
  rebooted(node: string): void {
    for (const part of ['lrm', 'transient_attributes']) {
      sh('cibadmin', ['--delete', '--xpath', `//node_state[@uname='${node}']/${part}`], { CIB_file: this.file });
    }
  }

  /** Runs a CLI tool (crm_resource --move ...) against the current CIB file. */
  tool(cmd: string, args: string[]): Run {
    const r = sh(cmd, args, { CIB_file: this.file });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.out}`);
    return r;
  }

  private async setScores(): Promise<void> {
    const p = await placement(this.file);
    const nodes = (await parseStringPromise(readFileSync(this.file, 'utf8')) as { cib: X }).cib;
    const allNodes = kids(kids(kids(nodes, 'configuration')[0], 'nodes')[0], 'node').map((n) => attr(n, 'uname')!);
    for (const [clone, prim] of Object.entries(this.clones)) {
      for (const node of allNodes) {
        const primary = (p.promoted[clone] ?? []).includes(node);
        const secondary = (p.unpromoted[clone] ?? []).includes(node);
        const args = ['-N', node, '-n', `master-${prim}`, '-l', 'reboot'];
        if (primary || secondary) {
          const v = this.scores === 'equal' || !primary ? 1000 : 10000;
          this.tool('crm_attribute', [...args, '-v', String(v)]);
        } else {
          sh('crm_attribute', [...args, '-D'], { CIB_file: this.file });
        }
      }
    }
  }
}
