import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metadataXml } from '../../lib/ocf/metadata-xml.js';
import { definition } from '../../agents/dummy/definition.js';

describe('metadataXml', () => {
  const xml = metadataXml(definition);

  it('declares OCF 1.1, every parameter and action', () => {
    expect(xml).toContain('<version>1.1</version>');
    for (const p of definition.parameters) expect(xml).toContain(`<parameter name="${p.name}"`);
    expect(xml).toMatch(/<action name="monitor" timeout="20s" interval="10s" depth="0"\/>/);
  });

  it('renders select portably (string + allowed values) and hides secret defaults', () => {
    expect(xml).toMatch(/Allowed values: normal, fail-start, hang-child\./);
    expect(xml).not.toContain('type="select"');
  });

  it('escapes text', () => {
    expect(xml).toContain('dummy-&lt;instance&gt;.state');
  });

  it('is valid against ra-api-1.dtd', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'md-')), 'm.xml');
    writeFileSync(f, xml);
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', '/usr/share/resource-agents/ra-api-1.dtd', f], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/validity error/);
    expect(r.status).toBe(0);
  });
});
