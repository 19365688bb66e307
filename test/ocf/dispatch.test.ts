import { describe, expect, it } from 'vitest';
import { dispatch, type AgentActions } from '../../lib/ocf/dispatch.js';
import { defineAgent, type ParamsOf } from '../../lib/definition.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { memoryLogger } from '../helpers/context.js';

const def = defineAgent({
  name: 'd',
  version: '1',
  shortdesc: 'short',
  longdesc: 'long',
  parameters: [{ name: 'need', type: 'string', required: true, shortdesc: 'needed', longdesc: '' }],
  actions: [
    { name: 'start', timeout: 30 },
    { name: 'stop', timeout: 40 },
    { name: 'monitor', timeout: 20, interval: 10 },
  ],
});
type P = ParamsOf<typeof def>;

function harness(actions: Partial<AgentActions<P>>, argv: string[], env: NodeJS.ProcessEnv = { OCF_RESKEY_need: 'x' }) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: string[] = [];
  const seen: OcfContext<P>[] = [];
  const wrap = (name: string, f?: (c: OcfContext<P>) => Promise<OcfExit>) => async (c: OcfContext<P>) => {
    calls.push(name);
    seen.push(c);
    return f ? f(c) : OcfExit.SUCCESS;
  };
  const all: AgentActions<P> = {
    start: wrap('start', actions.start),
    stop: wrap('stop', actions.stop),
    monitor: wrap('monitor', actions.monitor),
    ...(actions.validate ? { validate: wrap('validate', actions.validate) } : {}),
  };
  const run = dispatch(def, '<xml/>', all, {
    argv,
    env,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    terminal: false,
    logger: memoryLogger(),
  });
  return { run, out, err, calls, seen };
}

describe('dispatch', () => {
  it('meta-data and usage need no parameters and run no action', async () => {
    const m = harness({}, ['meta-data'], {});
    expect(await m.run).toBe(0);
    expect(m.out.join('')).toBe('<xml/>');
    const u = harness({}, ['usage'], {});
    expect(await u.run).toBe(0);
    expect(u.out.join('')).toContain('usage: d {start|stop|monitor|usage}');
    expect(m.calls.concat(u.calls)).toEqual([]);
  });

  it('no action is ERR_ARGS; unknown action is ERR_UNIMPLEMENTED with one reason', async () => {
    expect(await harness({}, []).run).toBe(OcfExit.ERR_ARGS);
    const h = harness({}, ['frobnicate']);
    expect(await h.run).toBe(OcfExit.ERR_UNIMPLEMENTED);
    expect(h.err.filter((l) => l.startsWith('ocf-exit-reason:'))).toHaveLength(1);
  });

  it('a missing required parameter stops before any action runs', async () => {
    const h = harness({}, ['start'], {});
    expect(await h.run).toBe(OcfExit.ERR_CONFIGURED);
    expect(h.calls).toEqual([]);
    expect(h.err).toEqual(['ocf-exit-reason:required parameter need is not set\n']);
  });

  it('start runs validate first and stops on its failure', async () => {
    const h = harness({ validate: async () => OcfExit.ERR_INSTALLED }, ['start']);
    expect(await h.run).toBe(OcfExit.ERR_INSTALLED);
    expect(h.calls).toEqual(['validate']);
  });

  it('a Failure becomes its code and a one-line reason (honouring OCF_EXIT_REASON_PREFIX)', async () => {
    const h = harness(
      { stop: async () => { throw new Failure('generic', 'lun 3\nis busy'); } },
      ['stop'],
      { OCF_RESKEY_need: 'x', OCF_EXIT_REASON_PREFIX: 'R:' },
    );
    expect(await h.run).toBe(1);
    expect(h.err).toEqual(['R:lun 3 is busy\n']);
  });

  it('an unexpected exception is ERR_GENERIC with the message as reason', async () => {
    const h = harness({ monitor: async () => { throw new TypeError('boom'); } }, ['monitor']);
    expect(await h.run).toBe(1);
    expect(h.err.join('')).toContain('monitor failed unexpectedly: boom');
  });

  it('derives probe, interval, check level, timeout and root from the environment', async () => {
    const env = { OCF_RESKEY_need: 'x', OCF_RESKEY_CRM_meta_interval: '0', OCF_CHECK_LEVEL: '10', LIOHA_ROOT: '/fx' };
    const probe = harness({}, ['monitor'], env);
    await probe.run;
    expect(probe.seen[0]).toMatchObject({ isProbe: true, checkLevel: 10, timeoutMs: 20_000 });
    expect(probe.seen[0]!.root.path('/proc/drbd')).toBe('/fx/proc/drbd');
    const rec = harness({}, ['status'], { ...env, OCF_RESKEY_CRM_meta_interval: '10000', OCF_RESKEY_CRM_meta_timeout: '7000' });
    await rec.run;
    expect(rec.calls).toEqual(['monitor']);
    expect(rec.seen[0]).toMatchObject({ isProbe: false, intervalMs: 10_000, timeoutMs: 7000 });
  });

  it('stop gets its own timeout from the definition', async () => {
    const h = harness({}, ['stop']);
    await h.run;
    expect(h.seen[0]!.timeoutMs).toBe(40_000);
  });

  it('the meta attribute lioha-root sets the root when Pacemaker strips the environment', async () => {
    const h = harness({}, ['monitor'], { OCF_RESKEY_need: 'x', OCF_RESKEY_CRM_meta_lioha_root: '/sandbox' });
    await h.run;
    expect(h.seen[0]!.root.path('/sys/kernel/config')).toBe('/sandbox/sys/kernel/config');
  });
});
