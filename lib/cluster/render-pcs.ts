/**
 * The pcs script: builds the plan in a copy of the CIB with `pcs -f` and pushes
 * it in one step, so nothing starts before its group and constraints exist (the
 * seed's "expected first error" came from creating resources one by one live).
 */
import type { ClusterPlan, NameValue, PlanConstraint, PlanPrimitive } from './plan.js';
import { agentName } from './plan.js';
import { headerLines, opWords, type RenderSource } from './render-common.js';
import { shq } from './shell-quote.js';

const PCS = 'pcs -f "$cib"';

export function renderPcs(plan: ClusterPlan, src: RenderSource): string {
  const out: string[] = [
    '#!/bin/sh',
    ...headerLines(plan, src, 'pcs 0.11 script'),
    '#',
    '# Run on one cluster node. It edits a copy of the live CIB and pushes the',
    '# difference at the end; if any step fails nothing is changed. With',
    '# LIOHA_CIB=<file> it edits that CIB file only (offline checks) and pushes nothing.',
    'set -eu',
    'if [ -n "${LIOHA_CIB:-}" ]; then',
    '  cib=$LIOHA_CIB',
    'else',
    '  tmp=$(mktemp -d)',
    '  trap \'rm -rf "$tmp"\' EXIT',
    '  cib=$tmp/cib.xml',
    '  pcs cluster cib "$cib"',
    '  cp "$cib" "$tmp/orig.xml"',
    'fi',
    '',
    `${PCS} property set ${plan.properties.map(([k, v]) => `${k}=${shq(v)}`).join(' ')}`,
  ];
  if (plan.opDefaults.length > 0) out.push(`${PCS} resource op defaults update ${plan.opDefaults.map(nv).join(' ')}`);
  for (const f of plan.fenceDevices) {
    out.push(
      '',
      `# Fence device ${f.id}: fences ${f.node}, never runs there`,
      [`${PCS} stonith create ${f.id} ${f.agent}`, f.params.map(nv).join(' '), `op ${opWords(f.monitor).join(' ')}`].join(' \\\n  '),
      `${PCS} constraint location ${f.id} avoids ${shq(f.node)}`,
    );
  }
  for (const c of plan.promotables) {
    out.push('', `# DRBD resource ${c.primitive.params.find(([k]) => k === 'drbd_resource')?.[1] ?? c.id}: promotable clone`);
    // pcs sets promotable=true itself from the keyword.
    out.push(create(c.primitive, [`promotable ${c.id}`, ...c.meta.filter(([k]) => k !== 'promotable').map(nv)]));
  }
  for (const g of plan.groups) {
    out.push('', `# Group ${g.id}: ${g.members.map((m) => m.id).join(' -> ')} (stopped in reverse)`);
    for (const m of g.members) out.push(create(m, [`--group ${g.id}`]));
    if (g.meta.length > 0) out.push(`${PCS} resource meta ${g.id} ${g.meta.map(nv).join(' ')}`);
  }
  out.push('', '# Constraints');
  for (const c of plan.constraints) out.push(constraint(c));
  out.push(
    '',
    'if [ -z "${LIOHA_CIB:-}" ]; then',
    '  pcs cluster cib-push "$cib" diff-against="$tmp/orig.xml"',
    'fi',
    '',
  );
  return out.join('\n');
}

function nv([k, v]: NameValue): string {
  return `${k}=${shq(v)}`;
}

function create(p: PlanPrimitive, tail: string[]): string {
  const lines = [
    `${PCS} resource create ${p.id} ${agentName(p.agent)} --no-default-ops`,
    ...(p.params.length > 0 ? [p.params.map(nv).join(' ')] : []),
    ...p.ops.map((o, i) => `${i === 0 ? 'op ' : '   '}${opWords(o).join(' ')}`),
    ...tail,
  ];
  return lines.join(' \\\n  ');
}

function constraint(c: PlanConstraint): string {
  switch (c.type) {
    case 'colocation':
      return `${PCS} constraint colocation add ${c.rsc} with ${c.withRole} ${c.withRsc} ${c.score} id=${c.id}`;
    case 'order':
      return `${PCS} constraint order ${c.firstAction} ${c.first} then ${c.thenAction} ${c.then} kind=${c.kind} id=${c.id}`;
    case 'location':
      return c.role
        ? `${PCS} constraint location ${c.rsc} rule constraint-id=${c.id} role=${c.role} score=${c.score} '#uname' eq ${shq(c.node)}`
        : `${PCS} constraint location add ${c.id} ${c.rsc} ${shq(c.node)} ${c.score}`;
  }
}
