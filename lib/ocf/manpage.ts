/** Build-time only: a man page (roff, section 7, like resource-agents' ocf_heartbeat_*.7) from an agent definition. */
import type { AgentDefinition } from '../definition.js';

const esc = (s: string) =>
  s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');

export function manPage(def: AgentDefinition, date: string, version: string): string {
  const title = `OCF_LIOHA_${def.name.toUpperCase()}`;
  const lines = [
    `.TH ${title} 7 "${date}" "lioha ${version}" "OCF resource agents"`,
    '.SH NAME',
    `ocf_lioha_${def.name} \\- ${esc(def.shortdesc)}`,
    '.SH SYNOPSIS',
    `.B ${def.name}`,
    `[${def.actions.map((a) => a.name).join(' | ')}]`,
    '.SH DESCRIPTION',
    esc(def.longdesc.trim()),
    '.SH PARAMETERS',
  ];
  for (const p of def.parameters) {
    const kind = p.type === 'select' ? (p.options ?? []).join('|') : p.type === 'list' ? 'string' : p.type;
    const bits = [kind, p.required ? 'required' : 'optional'];
    if (p.default !== undefined && !p.secret) bits.push(`default: ${String(p.default)}`);
    lines.push('.TP', `.B ${p.name}`, `(${esc(bits.join(', '))}) ${esc(p.shortdesc)}`, '.br', esc(p.longdesc.trim()));
    if (p.secret) lines.push('.br', 'Secret: never logged.');
    if (p.deprecated) lines.push('.br', `Deprecated${p.deprecated.replacedWith ? `; use ${p.deprecated.replacedWith.join(', ')}` : ''}.`);
  }
  lines.push('.SH OPERATIONS');
  for (const a of def.actions) {
    const extra = [a.interval !== undefined ? `interval ${a.interval}s` : '', a.depth !== undefined ? `depth ${a.depth}` : '', a.role ? `role ${a.role}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push('.TP', `.B ${a.name}`, `timeout ${a.timeout}s${extra ? `, ${extra}` : ''}`);
  }
  lines.push(
    '.SH EXAMPLE',
    '.nf',
    `pcs resource create p_${def.name} ocf:lioha:${def.name} ${def.parameters
      .filter((p) => p.required)
      .map((p) => `${p.name}=...`)
      .join(' ')}`,
    '.fi',
    '.SH EXIT STATUS',
    'OCF codes: 0 success, 1 generic error, 2 invalid argument, 3 unimplemented, 5 not installed, 6 not configured, 7 not running. On failure one line starting with ocf\\-exit\\-reason: is written to stderr.',
    '.SH SEE ALSO',
    'lioha(8), pcs(8), crm(8), crm_resource(8)',
    '',
  );
  return lines.join('\n');
}
