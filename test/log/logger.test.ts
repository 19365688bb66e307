import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, logFilesFromEnv } from '../../lib/log/logger.js';
import { agentDir } from '../helpers/agent.js';
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
});

describe('log files, as ocf_log writes them', () => {
  const dummy = join(agentDir, 'dummy');
  it.skipIf(!existsSync(dummy))('with HA_LOGFILE and HA_DEBUGLOG both set, both are written (debug lines only to HA_DEBUGLOG)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-logs-'));
    try {
      const env = {
        PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'd1', LIOHA_ROOT: dir, OCF_TRACE_RA: '1',
        HA_LOGFILE: join(dir, 'ha.log'), HA_DEBUGLOG: join(dir, 'ha-debug.log'),
      };
      const r = spawnSync(dummy, ['start'], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const plain = readFileSync(join(dir, 'ha.log'), 'utf8');
      const debug = readFileSync(join(dir, 'ha-debug.log'), 'utf8');
      expect(plain).toMatch(/lioha-dummy\(d1\)\[start\] INFO: started /);
      expect(debug).toMatch(/lioha-dummy\(d1\)\[start\] INFO: started /);
      expect(plain).not.toMatch(/ DEBUG: /);
      // the same file in both: each line once
      const same = { ...env, HA_DEBUGLOG: join(dir, 'one.log'), HA_LOGFILE: join(dir, 'one.log') };
      expect(spawnSync(dummy, ['stop'], { env: same, encoding: 'utf8' }).status).toBe(0);
      const one = readFileSync(join(dir, 'one.log'), 'utf8').split('\n').filter((l) => l.includes('INFO'));
      expect(new Set(one.map((l) => l.slice(25))).size).toBe(one.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('debug records go to the debug log only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-logs-'));
    try {
      const log = createLogger({ agent: 'a', instance: 'i', action: 'start', level: 'debug', write: () => {}, ...logFilesFromEnv({ HA_LOGFILE: join(dir, 'l'), HA_DEBUGLOG: join(dir, 'd') }) });
      log.debug('detail');
      log.info('summary');
      await log.flush();
      expect(readFileSync(join(dir, 'l'), 'utf8')).not.toContain('detail');
      expect(readFileSync(join(dir, 'l'), 'utf8')).toContain('summary');
      expect(readFileSync(join(dir, 'd'), 'utf8')).toMatch(/detail[\s\S]*summary/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
