import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/ocf/deadline.js';
import { invocation, paramLimitMs } from '../../lib/ocf/context.js';
import { definition as portal } from '../../agents/portal/definition.js';

describe('Deadline', () => {
  it('budgets below what is left, keeping a margin to report the failure', () => {
    let now = 0;
    const d = new Deadline(20_000, 2000, () => now);
    expect(d.budget()).toBe(18_000);
    expect(d.budget(3000)).toBe(3000);
    now = 17_000;
    expect(d.budget(3000)).toBe(1000);
    expect(d.expired()).toBe(false);
    now = 19_000;
    expect(d.budget()).toBe(1);
    expect(d.expired()).toBe(true);
  });

  it('default margin is a tenth of the timeout, at most 2 s', () => {
    expect(new Deadline(5000).marginMs).toBe(500);
    expect(new Deadline(100_000).marginMs).toBe(2000);
  });

  it("a built-in step gets its limit times stepScale, still under what is left", () => {
    let now = 0;
    const d = new Deadline(60_000, 2000, () => now, 3);
    expect(d.step(5000)).toBe(15_000);
    expect(d.budget(5000)).toBe(5000); // an explicit limit (a parameter) is not scaled
    now = 50_000;
    expect(d.step(5000)).toBe(8000);
  });

  it('stepScale is the op timeout over the agent default (timeoutScale 3 triples each step), within 1..10', () => {
    const start = portal.actions.find((a) => a.name === 'start')!.timeout * 1000;
    const scaleFor = (ms: number | undefined) =>
      invocation(portal, 'start', ms === undefined ? {} : { OCF_RESKEY_CRM_meta_timeout: String(ms) }).deadline.stepScale;
    expect(scaleFor(undefined)).toBe(1);
    expect(scaleFor(start * 3)).toBe(3);
    expect(scaleFor(start / 2)).toBe(1);
    expect(scaleFor(start * 50)).toBe(10);
    expect(invocation(portal, 'start', { OCF_RESKEY_CRM_meta_timeout: String(start * 3) }).deadline.step(5000)).toBe(15_000);
  });

  it('a time-limit parameter set by hand stays as given; left unset (or empty), its default scales like a built-in step', () => {
    const deadline = new Deadline(60_000, 2000, () => 0, 3);
    expect(paramLimitMs({ env: { OCF_RESKEY_map_timeout: '5000' }, deadline }, 'map_timeout', 5000)).toBe(5000);
    expect(paramLimitMs({ env: {}, deadline }, 'map_timeout', 5000)).toBe(15_000);
    expect(paramLimitMs({ env: { OCF_RESKEY_map_timeout: '' }, deadline }, 'map_timeout', 5000)).toBe(15_000);
  });
});
