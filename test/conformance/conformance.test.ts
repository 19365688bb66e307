/**
 * Every built agent goes through the OCF contract with Pacemaker's own tools:
 * meta-data against the OCF DTD and pcs's OCF 1.1 schema, ocf-tester,
 * crm_resource --validate and --force-start/--force-check/--force-stop,
 * stop twice, monitor after stop, unknown action, missing required parameter.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { agentDir, builtAgentPath, runBuiltAgent } from '../helpers/agent.js';
import type { ConformanceFixture } from './fixture.js';
import { DTD, PCS_RNG, TEST_PROVIDER, agentCode, copyForOcfTester, exposeBuiltAgents, hideBuiltAgents, missingTools, tool, writeCib } from './harness.js';

// .lioha/ holds the bundles and code caches, not agents.
const agents = existsSync(agentDir) ? readdirSync(agentDir).filter((n) => !n.startsWith('.')).sort() : [];
const missing = missingTools();
afterAll(() => hideBuiltAgents());

describe('conformance prerequisites', () => {
  it('has built agents and Pacemaker tools', () => {
    expect(agents.length, 'run npm run build first').toBeGreaterThan(0);
    expect(missing, 'install pacemaker-cli-utils resource-agents libxml2-utils').toEqual([]);
  });
});

describe.each(agents)('agent %s', (name) => {
  let fixture: ConformanceFixture;
  let root: string;
  let env: Record<string, string>;
  const bin = () => builtAgentPath(name);

  beforeAll(async () => {
    const mod = (await import(`./fixtures/${name}.ts`)) as { fixture: ConformanceFixture };
    fixture = mod.fixture;
    root = mkdtempSync(join(tmpdir(), `lioha-conf-${name}-`));
    await fixture.prepare(root);
    env = { LIOHA_ROOT: root, ...fixture.env };
    exposeBuiltAgents();
  });

  afterAll(async () => {
    // Never leave the resource running, whatever failed above.
    runBuiltAgent(name, 'stop', { params: fixture.params, env });
    await fixture.cleanup?.(root);
    rmSync(root, { recursive: true, force: true });
  });

  it('meta-data is valid against ra-api-1.dtd and pcs ocf-1.1.rng', () => {
    const md = runBuiltAgent(name, 'meta-data', { root: '/nonexistent-root' });
    expect(md.code).toBe(0);
    const file = join(root, 'meta-data.xml');
    writeFileSync(file, md.stdout);
    const dtd = tool('xmllint', ['--noout', '--dtdvalid', DTD, file]);
    expect(dtd.out).not.toMatch(/validity error|does not validate/);
    expect(dtd.code).toBe(0);
    if (existsSync(PCS_RNG)) {
      const rng = tool('xmllint', ['--noout', '--relaxng', PCS_RNG, file]);
      expect(rng.out).toMatch(/validates/);
    }
  });

  it('usage works without root or parameters; unknown action exits 3 with a reason', () => {
    expect(runBuiltAgent(name, 'usage').code).toBe(0);
    const r = runBuiltAgent(name, 'no-such-action', { params: fixture.params, env });
    expect(r.code).toBe(3);
    expect(r.reasons).toHaveLength(1);
  });

  it('crm_resource --validate accepts the fixture parameters', () => {
    const opts = Object.entries(fixture.params).flatMap(([k, v]) => ['--option', `${k}=${v}`]);
    const r = tool('crm_resource', ['--validate', '--class', 'ocf', '--provider', TEST_PROVIDER, '--agent', name, ...opts], env);
    expect(agentCode(r), r.out).toBe(0);
  });

  it('a missing required parameter gives one exit reason naming it and exit 6', () => {
    const md = runBuiltAgent(name, 'meta-data').stdout;
    const required = [...md.matchAll(/<parameter name="([^"]+)"[^>]*required="1"/g)].map((m) => m[1]!);
    for (const p of required) {
      const params = { ...fixture.params };
      delete params[p];
      const r = runBuiltAgent(name, 'validate-all', { params, env });
      expect(r.code, `without ${p}`).toBe(6);
      expect(r.reasons).toHaveLength(1);
      expect(r.reasons[0]).toContain(p);
    }
  });

  it('passes ocf-tester', () => {
    const opts = Object.entries(fixture.params).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
    const copy = copyForOcfTester(name);
    try {
      const r = tool('ocf-tester', ['-n', `conf-${name}`, ...opts, copy], { ...env, OCF_ROOT: '/usr/lib/ocf' });
      expect(r.out).toMatch(/passed all tests/);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dirname(copy), { recursive: true, force: true });
    }
  }, 150_000); // ocf-tester forks the agent ~20 times: 20-50 s here, ~100 s on a loaded machine; tool() caps it at 120 s

  it('crm_resource --force-check/--force-start/--force-stop give the OCF codes; stop twice; monitor after stop is 7', () => {
    const cibEnv = { ...env, CIB_file: writeCib(root, `conf-${name}`, name, fixture.params) };
    const rsc = ['-r', `conf-${name}`];
    expect(agentCode(tool('crm_resource', ['--force-check', ...rsc], cibEnv))).toBe(7);
    const start = tool('crm_resource', ['--force-start', ...rsc], cibEnv);
    expect(agentCode(start), start.out).toBe(0);
    expect(agentCode(tool('crm_resource', ['--force-check', ...rsc], cibEnv))).toBe(0);
    expect(agentCode(tool('crm_resource', ['--force-start', ...rsc], cibEnv)), 'start is idempotent').toBe(0);
    expect(agentCode(tool('crm_resource', ['--force-stop', ...rsc], cibEnv))).toBe(0);
    expect(agentCode(tool('crm_resource', ['--force-stop', ...rsc], cibEnv)), 'second stop').toBe(0);
    expect(agentCode(tool('crm_resource', ['--force-check', ...rsc], cibEnv))).toBe(7);
  });

  it('secret parameters never appear in output', () => {
    const md = runBuiltAgent(name, 'meta-data').stdout;
    const secrets = Object.entries(fixture.params).filter(([k]) => /passw|secret/i.test(k) && md.includes(`name="${k}"`));
    for (const action of ['start', 'monitor', 'stop']) {
      const r = runBuiltAgent(name, action, { params: fixture.params, env, timeoutMs: 60_000 });
      for (const [, v] of secrets) expect(r.stdout + r.stderr).not.toContain(v);
    }
  });
});
