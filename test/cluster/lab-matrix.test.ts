/** The cluster lab's matrix option (`--matrix S,P`): S switchovers, P power-offs spread among them. */
import { describe, expect, it } from 'vitest';
import { matrixScenarios } from '../lab/cluster/matrix.js';

describe('cluster lab matrix', () => {
  it('spreads the power-offs among the switchovers: 100,20 is five switchovers then a power-off, twenty times', () => {
    const m = matrixScenarios('100,20');
    expect(m.filter((x) => x === 'switchover')).toHaveLength(100);
    expect(m.filter((x) => x === 'poweroff')).toHaveLength(20);
    expect(m.slice(0, 12)).toEqual([...Array(5).fill('switchover'), 'poweroff', ...Array(5).fill('switchover'), 'poweroff']);
    expect(m.at(-1)).toBe('poweroff');
  });

  it('keeps every power-off when there are more of them than switchovers, and takes 0 of either', () => {
    expect(matrixScenarios('2,3')).toEqual(['switchover', 'poweroff', 'switchover', 'poweroff', 'poweroff']);
    expect(matrixScenarios('3,0')).toEqual(['switchover', 'switchover', 'switchover']);
    expect(matrixScenarios('0,0')).toEqual([]);
  });

  it('refuses anything but two counts', () => {
    expect(() => matrixScenarios('100')).toThrow(/--matrix wants S,P/);
    expect(() => matrixScenarios('a,b')).toThrow(/--matrix wants S,P/);
  });
});
