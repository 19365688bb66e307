import type { AgentDefinition } from '../definition.js';

export function usageText(def: AgentDefinition): string {
  const actions = [...new Set([...def.actions.map((a) => a.name), 'usage'])].join('|');
  const params = def.parameters
    .map((p) => {
      const flags = [p.required ? 'required' : '', p.default !== undefined && !p.secret ? `default ${String(p.default)}` : '']
        .filter(Boolean)
        .join(', ');
      const kind = p.type === 'select' ? (p.options ?? []).join('|') : p.type === 'list' ? 'string' : p.type;
      return `  OCF_RESKEY_${p.name}=<${kind}>${flags ? ` (${flags})` : ''}\n      ${p.shortdesc}`;
    })
    .join('\n');
  return `usage: ${def.name} {${actions}}\n\n${def.shortdesc}\n\nParameters (environment):\n${params}\n\nRun by hand, for example:\n  OCF_ROOT=/usr/lib/ocf OCF_RESKEY_<name>=<value> ${def.name} monitor; echo $?\n`;
}
