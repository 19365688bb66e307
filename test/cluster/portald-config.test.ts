/**
 * lioha-portald's configuration derived from the cluster description (lib/cluster/portald-config.ts) and
 * `lioha cluster discovery-config`: the back-ends are the volume groups' portals, the file is one portald
 * accepts, and bad input writes nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterCli } from './run-cli.js';
import { parseDescription, parseDescriptionOrThrow } from '../../lib/cluster/parse-description.js';
import { NoDiscoveryError, backendAddresses, portaldFileFor, portaldFileText } from '../../lib/cluster/portald-config.js';
import { parseConfig } from '../../lib/portald/config.js';

const labAa = readFileSync(new URL('../lab/cluster/lab-aa.json', import.meta.url), 'utf8');
const portaldAa = JSON.parse(readFileSync(new URL('../lab/cluster/portald-aa.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const aa = readFileSync(new URL('../../crm/active-active.json', import.meta.url), 'utf8');
const seed = readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8');

const withDiscovery = (text: string, change: (d: Record<string, unknown>) => void): string => {
  const d = JSON.parse(text) as Record<string, unknown>;
  change(d);
  return JSON.stringify(d);
};

describe('portaldFileFor', () => {
  it("gives the lab's active/active portals and back-ends exactly", () => {
    const f = portaldFileFor(parseDescriptionOrThrow(labAa));
    // the whole file the lab's nodes write with `lioha cluster discovery-config` (node_prepare_aa)
    expect(JSON.parse(portaldFileText(f))).toEqual(portaldAa);
    expect(f.path).toBe('/etc/lioha/portald.json');
    expect(f.secret).toBe(false);
  });

  it('lists every portal in description order, IPv6 bracketed, with its own port', () => {
    const d = parseDescriptionOrThrow(aa);
    const ips = d.volumeGroups.flatMap((v) => v.portals.map((p) => p.ip));
    expect(ips.some((ip) => ip.includes(':'))).toBe(true);
    const b = backendAddresses(d);
    expect(b.length).toBe(new Set(ips).size);
    expect(b).toEqual(['192.0.2.21:3260', '192.0.2.22:3260', '[2001:db8::22]:3260']);
    // a portal's own port (the description refuses one address in two portals, so none is listed twice)
    const text = withDiscovery(aa, (x) => {
      const vgs = x['volumeGroups'] as { portals: Record<string, unknown>[] }[];
      vgs[0]!.portals[0]!['port'] = 3261;
    });
    const again = backendAddresses(parseDescriptionOrThrow(text));
    expect(again).toEqual(['192.0.2.21:3261', '192.0.2.22:3260', '[2001:db8::22]:3260']);
    // a group's portal params port, where its portals name none: the port its portal resources listen on
    const groupPort = withDiscovery(aa, (x) => {
      const vgs = x['volumeGroups'] as { params?: Record<string, Record<string, string>> }[];
      vgs[1]!.params = { ...(vgs[1]!.params ?? {}), portal: { ...(vgs[1]!.params?.['portal'] ?? {}), port: '3262' } };
    });
    expect(backendAddresses(parseDescriptionOrThrow(groupPort))).toEqual(['192.0.2.21:3260', '192.0.2.22:3262', '[2001:db8::22]:3262']);
  });

  it('listens on the discovery port when the description sets one, and the daemon reads the text back', () => {
    const f = portaldFileFor(parseDescriptionOrThrow(withDiscovery(aa, (x) => { (x['discovery'] as Record<string, unknown>)['port'] = 3270; })));
    const cfg = parseConfig(portaldFileText(f));
    expect(cfg.portals).toHaveLength(1);
    expect(cfg.portals[0]).toMatchObject({ address: '192.0.2.9', port: 3270, tag: 1 });
  });

  it('refuses a description without a discovery section', () => {
    const d = parseDescriptionOrThrow(seed);
    expect(d.discovery).toBeUndefined();
    expect(() => portaldFileFor(d, 'crm/iscsitgt01.json')).toThrow(NoDiscoveryError);
    expect(() => portaldFileFor(d, 'crm/iscsitgt01.json')).toThrow(/crm\/iscsitgt01.json has no discovery section/);
  });

  it('passes discovery.portald settings through, and marks CHAP as secret', () => {
    const text = withDiscovery(labAa, (x) => {
      (x['discovery'] as Record<string, unknown>)['portald'] = {
        backendTimeoutMs: 10000, limits: { loginTimeoutSeconds: 30 }, chap: { username: 'disc', password: 'discsecret12' },
      };
    });
    const f = portaldFileFor(parseDescriptionOrThrow(text));
    expect(f.secret).toBe(true);
    expect(f.config.backendTimeoutMs).toBe(10000);
    expect(f.config.limits.loginTimeoutSeconds).toBe(30);
    expect(f.json['portals']).toEqual(portaldAa['portals']);
    expect(f.json['chap']).toEqual({ username: 'disc', password: 'discsecret12' });
  });

  it("checks discovery.portald with portald's validator when the description is parsed", () => {
    const text = withDiscovery(labAa, (x) => {
      (x['discovery'] as Record<string, unknown>)['portald'] = { backendTimeoutMs: 20000, portals: [], limits: { maxConnections: 0 } };
    });
    const r = parseDescription(text);
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toContainEqual(expect.stringMatching(/^discovery\.portald\.portals: unknown field/));
    const settingsOnly = parseDescription(withDiscovery(labAa, (x) => {
      (x['discovery'] as Record<string, unknown>)['portald'] = { backendTimeoutMs: 20000, limits: { maxConnections: 0 } };
    }));
    expect(settingsOnly.ok).toBe(false);
    expect(settingsOnly.ok ? [] : settingsOnly.errors).toEqual([
      'discovery.portald.limits.maxConnections: must be an integer from 1 to 65536',
      'discovery.portald.backendTimeoutMs: must be shorter than limits.loginTimeoutSeconds (10 s)',
    ]);
  });
});

describe('lioha cluster discovery-config', () => {
  let dir: string | undefined;
  afterEach(() => {
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const cli = clusterCli;

  it('prints the file without -o', async () => {
    const out = await cli(['cluster', 'discovery-config', 'test/lab/cluster/lab-aa.json']);
    expect(JSON.parse(out).portals).toEqual(portaldAa.portals);
  });

  it('writes the file 0644 with -o, replacing what was there, and leaves no temp file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lioha-discocfg-'));
    const out = join(dir, 'portald.json');
    writeFileSync(out, 'old', { mode: 0o600 });
    expect(await cli(['cluster', 'discovery-config', 'test/lab/cluster/lab-aa.json', '-o', out])).toBe('');
    expect(parseConfig(readFileSync(out, 'utf8')).portals[0]!.backends.map((b) => `${b.host}:${b.port}`)).toEqual(['192.0.2.10:3260', '192.0.2.11:3260']);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['portald.json']);
  });

  it('writes 0600 when the description gives discovery CHAP', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lioha-discocfg-'));
    const desc = join(dir, 'd.json');
    writeFileSync(desc, withDiscovery(labAa, (x) => {
      (x['discovery'] as Record<string, unknown>)['portald'] = { chap: { username: 'disc', password: 'discsecret12' } };
    }));
    const out = join(dir, 'portald.json');
    await cli(['cluster', 'discovery-config', desc, '-o', out]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8')).chap.username).toBe('disc');
  });

  it('refuses a description without discovery, or an invalid one, and writes nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lioha-discocfg-'));
    const out = join(dir, 'portald.json');
    await expect(cli(['cluster', 'discovery-config', 'crm/iscsitgt01.json', '-o', out])).rejects.toThrow(/has no discovery section/);
    await expect(cli(['cluster', 'discovery-config', 'package.json', '-o', out])).rejects.toThrow(/package.json is invalid:/);
    expect(existsSync(out)).toBe(false);
    writeFileSync(out, 'kept');
    await expect(cli(['cluster', 'discovery-config', 'crm/iscsitgt01.json', '-o', out])).rejects.toThrow(/has no discovery section/);
    expect(readFileSync(out, 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['portald.json']);
  });
});
