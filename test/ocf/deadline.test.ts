import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/ocf/deadline.js';

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
});
