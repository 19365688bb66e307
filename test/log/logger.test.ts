import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log/logger.js';
import { formatPlain } from '../../lib/log/format.js';

describe('logger', () => {
  it('writes one plain line per record naming agent, instance and action', async () => {
    const lines: string[] = [];
    const log = createLogger({ agent: 'target', instance: 'p_lio', action: 'start', write: (l) => lines.push(l) });
    log.info('created target', { iqn: 'iqn.2016-09.com.example:t1', luns: 4 });
    log.child({ lun: 2 }).warn('slow write');
    await log.flush();
    expect(lines).toEqual([
      'lioha-target(p_lio)[start] INFO: created target iqn=iqn.2016-09.com.example:t1 luns=4',
      'lioha-target(p_lio)[start] WARN: slow write lun=2',
    ]);
  });

  it('drops records below the level', async () => {
    const lines: string[] = [];
    const log = createLogger({ agent: 'a', instance: 'i', action: 'monitor', level: 'info', write: (l) => lines.push(l) });
    log.debug('noise');
    await log.flush();
    expect(lines).toEqual([]);
  });

  it('redacts secret keys, nested too', async () => {
    const lines: string[] = [];
    const log = createLogger({ agent: 'a', instance: 'i', action: 'start', secrets: ['password'], write: (l) => lines.push(l) });
    log.info('acl', { password: 'hunter2', chap: { password: 'hunter3', userid: 'u' } });
    await log.flush();
    expect(lines.join()).not.toMatch(/hunter/);
    expect(lines.join()).toContain('password=***');
  });

  it('quotes values with spaces so lines stay parseable', () => {
    expect(formatPlain({ level: 'error', msg: 'm', agent: 'a', instance: 'i', action: 'stop', fields: { holder: 'pid 12 (targetcli)' } })).toBe(
      'lioha-a(i)[stop] ERROR: m holder="pid 12 (targetcli)"',
    );
  });

  it('writes each line at once (an agent killed right after logging still leaves the line), errors by message', () => {
    const lines: string[] = [];
    const log = createLogger({ agent: 'a', instance: 'i', action: 'stop', write: (l) => lines.push(l) });
    log.error('write failed', { err: new Error('EIO on enable'), n: 10n });
    expect(lines).toEqual(['lioha-a(i)[stop] ERROR: write failed err="EIO on enable" n=10']);
  });
});
