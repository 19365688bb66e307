/**
 * The crmsh script: the whole plan as one `crm configure load update`, which
 * crmsh commits in a single CIB update (nothing starts half-configured).
 */
import type { ClusterPlan, NameValue, PlanConstraint, PlanPrimitive } from './plan.js';
import { agentName } from './plan.js';
import { headerLines, opWords, type RenderSource } from './render-common.js';

export function renderCrm(plan: ClusterPlan, src: RenderSource): string {
  const conf: string[] = [];
  for (const f of plan.fenceDevices) {
    conf.push(
      [`primitive ${f.id} stonith:${f.agent}`, `params ${f.params.map(nv).join(' ')}`, `op ${opWords(f.monitor).join(' ')}`].join(' \\\n  '),
      `location loc_${f.id}_avoids_${f.node.replace(/[^A-Za-z0-9_.-]/g, '_')} ${f.id} -inf: ${cq(f.node)}`,
    );
  }
  for (const c of plan.promotables) {
    conf.push(primitive(c.primitive), `clone ${c.id} ${c.primitive.id} \\\n  meta ${c.meta.map(nv).join(' ')}`);
  }
  for (const g of plan.groups) {
    for (const m of g.members) conf.push(primitive(m));
    conf.push(
      `group ${g.id} ${g.members.map((m) => m.id).join(' ')}${g.meta.length > 0 ? ` \\\n  meta ${g.meta.map(nv).join(' ')}` : ''}`,
    );
  }
  for (const c of plan.constraints) conf.push(constraint(c));
  conf.push(`property cib-bootstrap-options: ${plan.properties.map(nv).join(' ')}`);
  if (plan.opDefaults.length > 0) conf.push(`op_defaults op-options: ${plan.opDefaults.map(nv).join(' ')}`);
  return [
    '#!/bin/sh',
    ...headerLines(plan, src, 'crmsh 4.x script'),
    '#',
    '# Run on one cluster node; crmsh commits the whole configuration in one CIB',
    '# update. With CIB_file=<file> it edits that CIB file only (offline checks).',
    'set -eu',
    "crm configure load update - <<'LIOHA_EOF'",
    ...conf,
    'LIOHA_EOF',
    '',
  ].join('\n');
}

/** crmsh value syntax: bare when safe, else double quotes (validation keeps quotes and backslashes out). */
function cq(v: string): string {
  if (/["\\\n]/.test(v)) throw new Error(`value ${JSON.stringify(v)} cannot be written for crmsh`);
  return /^[A-Za-z0-9_.,:/=@%+-]+$/.test(v) ? v : `"${v}"`;
}

function nv([k, v]: NameValue): string {
  return `${k}=${cq(v)}`;
}

function primitive(p: PlanPrimitive): string {
  const lines = [
    `primitive ${p.id} ${agentName(p.agent)}`,
    ...(p.params.length > 0 ? [`params ${p.params.map(nv).join(' ')}`] : []),
    ...p.ops.map((o) => `op ${opWords(o).join(' ')}`),
  ];
  return lines.join(' \\\n  ');
}

function constraint(c: PlanConstraint): string {
  switch (c.type) {
    case 'colocation':
      return `colocation ${c.id} inf: ${c.rsc} ${c.withRsc}:${c.withRole}`;
    case 'order':
      return `order ${c.id} ${c.kind}: ${c.first}:${c.firstAction} ${c.then}:${c.thenAction}`;
    case 'location':
      return c.role
        ? `location ${c.id} ${c.rsc} rule $role=${c.role} ${c.score}: #uname eq ${cq(c.node)}`
        : `location ${c.id} ${c.rsc} ${c.score}: ${cq(c.node)}`;
  }
}
