/**
 * Build-time only: render an agent definition as OCF meta-data XML (xml2js).
 *
 * The output is valid against both resource-agents' ra-api-1.dtd (what
 * ocf-tester and older tools check) and pcs's ocf-1.1.rng. Where OCF 1.1 has a
 * construct the 1.0 DTD lacks, we render the portable form and let the agent
 * enforce the rest at run time: `select` becomes a string whose allowed values
 * are listed in longdesc, `uniqueGroup` becomes unique="1", deprecation and
 * reloadability are stated in the descriptions.
 */
import { Builder } from 'xml2js';
import type { AgentDefinition, ParameterDef } from '../definition.js';

function paramLongdesc(p: ParameterDef): string {
  const notes: string[] = [];
  if (p.type === 'select' && p.options) notes.push(`Allowed values: ${p.options.join(', ')}.`);
  if (p.uniqueGroup) notes.push(`Must be unique across resources (unique group "${p.uniqueGroup}").`);
  if (p.reloadable) notes.push('Can be changed without a restart.');
  if (p.deprecated) {
    const by = p.deprecated.replacedWith?.length ? ` Use ${p.deprecated.replacedWith.join(', ')} instead.` : '';
    notes.push(`Deprecated.${by}${p.deprecated.desc ? ` ${p.deprecated.desc}` : ''}`);
  }
  return [p.longdesc.trim(), ...notes].join('\n');
}

function contentOf(p: ParameterDef): Record<string, string> {
  const type = p.type === 'select' || p.type === 'list' ? 'string' : p.type;
  const attrs: Record<string, string> = { type };
  if (p.default !== undefined && !p.secret) attrs.default = String(p.default);
  return attrs;
}

export function metadataXml(def: AgentDefinition): string {
  const doc = {
    'resource-agent': {
      $: { name: def.name, version: def.version },
      version: '1.1',
      longdesc: { $: { lang: 'en' }, _: def.longdesc.trim() },
      shortdesc: { $: { lang: 'en' }, _: def.shortdesc.trim() },
      parameters: {
        parameter: def.parameters.map((p) => ({
          $: { name: p.name, unique: p.uniqueGroup ? '1' : '0', required: p.required ? '1' : '0' },
          longdesc: { $: { lang: 'en' }, _: paramLongdesc(p) },
          shortdesc: { $: { lang: 'en' }, _: p.deprecated ? `${p.shortdesc} (deprecated)` : p.shortdesc },
          content: { $: contentOf(p) },
        })),
      },
      actions: {
        action: def.actions.map((a) => {
          const attrs: Record<string, string> = { name: a.name, timeout: `${a.timeout}s` };
          if (a.interval !== undefined) attrs.interval = `${a.interval}s`;
          if (a.startDelay !== undefined) attrs['start-delay'] = `${a.startDelay}s`;
          if (a.depth !== undefined) attrs.depth = String(a.depth);
          if (a.role) attrs.role = a.role;
          return { $: attrs };
        }),
      },
    },
  };
  const builder = new Builder({
    // No encoding declaration: crmsh parses meta-data with lxml from a str, and
    // lxml refuses str input that declares an encoding ("Cannot parse meta-data XML").
    xmldec: { version: '1.0' },
    doctype: { sysID: 'ra-api-1.dtd' },
    renderOpts: { pretty: true, indent: '  ', newline: '\n' },
    headless: false,
  });
  return `${builder.buildObject(doc)}\n`;
}
