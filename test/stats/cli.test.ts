import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { openTreeReader } from '../../lib/stats/tree-reader.js';
import { parseWalk, statisticsFiles, walkPath, walkText, writeWalk } from '../../lib/stats/walk.js';
import { parseExposition } from './exposition-parser.js';
import { IQN, ini, logIn, makeNode, setInitiatorMiB, setLunMiB, type Node } from './fixture.js';

const cli = join(process.cwd(), 'dist/bin/lioha');
const built = existsSync(cli);
let node: Node | undefined;
const temps: string[] = [];
afterEach(() => {
  node?.cleanup();
  node = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
const run = (args: string[], env: Record<string, string> = {}, argv0 = cli) =>
  spawnSync(argv0, args, { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

describe.skipIf(!built)('lioha stats (built CLI)', () => {
  it('prints Prometheus text from LIOHA_ROOT and writes --output atomically', async () => {
    node = await makeNode({ luns: 2, acls: 2 });
    setLunMiB(node, 0, 1, 2, 3);
    let r = run(['stats'], { LIOHA_ROOT: node.root });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fams = parseExposition(r.stdout);
    expect(fams.get('lioha_lun_written_bytes_total')!.samples.find((s) => s.labels.lun === '0')!.value).toBe(2 * 1048576);
    const out = join(node.root, 'lioha.prom');
    r = run(['stats', '--output', out], { LIOHA_ROOT: node.root });
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('lioha_tpg_enabled{target="iqn.2016-09.com.example:iscsitgt01",tpg="1"} 1');
    expect(readdirSync(node.root).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses bad usage with exit 2 and changes nothing', () => {
    for (const args of [['stats', '--bogus'], ['stats', '--walk', '--plot'], ['stats', '--serve', 'nowhere'], ['stats', '--format', 'xml']]) {
      const r = run(args, { LIOHA_ROOT: '/nonexistent' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^lioha stats: /);
    }
  });

  it('is a munin plugin when symlinked as lio_read / lio_write, with the seed\'s field names and DERIVE', async () => {
    node = await makeNode({ luns: 2, acls: 1 });
    setLunMiB(node, 1, 0, 42, 7);
    setInitiatorMiB(node, 0, 1, 0, 40, 7);
    const dir = mkdtempSync(join(tmpdir(), 'lioha-munin-'));
    temps.push(dir);
    symlinkSync(cli, join(dir, 'lio_write'));
    const env = { LIOHA_ROOT: node.root };
    const tf = 'iqn2016_09comexampleiscsitgt01'; // the seed: lower case, '-' -> '_', other punctuation dropped
    let r = run(['config'], env, join(dir, 'lio_write'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('graph_title LIO (Write)\n');
    expect(r.stdout).toContain(`${tf}lun_1.label iscsitgt01 (lun_1) Write\n${tf}lun_1.cdef ${tf}lun_1,1048576,*\n${tf}lun_1.min 0\n${tf}lun_1.type DERIVE\n`);
    expect(r.stdout).toContain(`${tf}iqn2016_09comexamplehost00lun_1.label iscsitgt01 - host00 (lun_1) Write\n`);
    r = run([], env, join(dir, 'lio_write'));
    expect(r.stdout).toBe(`${tf}lun_0.value 0\n${tf}lun_1.value 42\n${tf}iqn2016_09comexamplehost00lun_0.value 0\n${tf}iqn2016_09comexamplehost00lun_1.value 40\n`);
    expect(run(['autoconf'], env, join(dir, 'lio_write')).stdout).toBe('yes\n');
    expect(run(['autoconf'], { LIOHA_ROOT: '/nonexistent' }, join(dir, 'lio_write')).stdout).toBe('no (no iscsi target)\n');
  });

  it('--walk writes the seed\'s sorted [path]/value log, one gzip file a minute, and prunes old ones', async () => {
    node = await makeNode({ luns: 1, acls: 1 });
    const logDir = '/var/log/lio';
    const old = walkPath(join(node.root, logDir), 'statistics', new Date(Date.now() - 400 * 86_400_000));
    writeWalk(old, 'x');
    utimesSync(old, new Date(Date.now() - 400 * 86_400_000), new Date(Date.now() - 400 * 86_400_000));
    let r = run(['stats', '--walk'], { LIOHA_ROOT: node.root });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^wrote .*lio-statistics-\d{12}\.gz \(\d+ files\); removed 2 older than 365 days/);
    expect(existsSync(old)).toBe(false);
    const file = /wrote (\S+)/.exec(r.stdout)![1]!;
    const text = gunzipSync(readFileSync(file)).toString();
    const paths = [...text.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]!);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toContain(`/sys/kernel/config/target/iscsi/${IQN}/tpgt_1/acls/${ini(0)}/lun_0/statistics/scsi_auth_intr/write_mbytes`);
    expect(paths).toContain(`/sys/kernel/config/target/iscsi/${IQN}/tpgt_1/lun/lun_0/statistics/scsi_tgt_port/read_mbytes`);
    expect(paths).toContain(`/sys/kernel/config/target/iscsi/${IQN}/fabric_statistics/iscsi_login_stats/accepts`);
    expect(paths).toContain('/sys/kernel/config/target/core/iblock_0/lun0/statistics/scsi_lu/num_cmds');
    expect(paths.every((p) => /\/(fabric_)?statistics\//.test(p))).toBe(true);
    // `echo [$i]; cat $i; echo`: the value with its newline, then an empty line.
    expect(text).toContain(`[/sys/kernel/config/target/iscsi/${IQN}/tpgt_1/lun/lun_0/statistics/scsi_tgt_port/read_mbytes]\n0\n\n`);
    r = run(['stats', '--walk'], { LIOHA_ROOT: node.root });
    expect(r.stdout).toMatch(/^(kept existing|wrote) /); // same minute: kept; the minute may have turned
  });

  it('--plot draws sparklines from the walk logs of the last minutes', async () => {
    node = await makeNode({ luns: 2, acls: 1 });
    const t = openTreeReader(node.base);
    const now = Date.now();
    const logDir = join(node.root, 'var/log/lio');
    [0, 60, 600, 1200].forEach((mib, i) => {
      setLunMiB(node!, 1, 0, mib, i);
      setInitiatorMiB(node!, 0, 1, 0, mib, i);
      writeWalk(walkPath(logDir, 'statistics', new Date(now - (3 - i) * 60_000)), walkText(t, statisticsFiles(t)));
    });
    const walks = readdirSync(logDir).length;
    expect(walks).toBeGreaterThan(0);
    const r = run(['stats', '--plot', '--minutes', '10'], { LIOHA_ROOT: node.root });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^throughput, last 10 minutes/);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${IQN} lun_1 write`))!;
    // 1, 9 and 10 MiB/s over the three minutes.
    expect(line).toMatch(/ ▂▇█  max 10\.00  last 10\.00$/);
    expect(r.stdout).toContain(`${IQN} ${ini(0)} lun_1 write`);
    expect(r.stdout).not.toContain('lun_0 write'); // idle series are left out without --all
  });

  it('--serve answers /metrics on loopback', async () => {
    node = await makeNode({ luns: 1, acls: 1 });
    logIn(node, 0);
    const child = spawn(cli, ['stats', '--serve', '127.0.0.1:0'], { env: { PATH: process.env.PATH ?? '', LIOHA_ROOT: node.root } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
      });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const fams = parseExposition(await res.text());
      expect(fams.get('lioha_iscsi_session_logged_in')!.samples[0]!.value).toBe(1);
      expect((await fetch(url.replace('/metrics', '/nope'))).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('walk log round trip', () => {
  it('parseWalk reads back what walkText writes', async () => {
    node = await makeNode({ luns: 1, acls: 1 });
    setLunMiB(node, 0, 3, 4, 5);
    const t = openTreeReader(node.base);
    const m = parseWalk(walkText(t, statisticsFiles(t)));
    expect(m.get(`/sys/kernel/config/target/iscsi/${IQN}/tpgt_1/lun/lun_0/statistics/scsi_tgt_port/write_mbytes`)).toBe('4');
    expect(m.get(`/sys/kernel/config/target/iscsi/${IQN}/tpgt_1/acls/${ini(0)}/fabric_statistics/iscsi_sess_stats/cmd_pdus`)).toBe('');
  });
});

describe('full walk', () => {
  it('leaves the CHAP passwords out of the log', async () => {
    node = await makeNode({ luns: 1, acls: 1 });
    const { EmulatedConfigFs } = await import('../../lib/configfs/emulator.js');
    const cfs = new EmulatedConfigFs(node.base);
    await cfs.write(`iscsi/${IQN}/tpgt_1/acls/${ini(0)}/auth/userid`, 'user0');
    await cfs.write(`iscsi/${IQN}/tpgt_1/acls/${ini(0)}/auth/password`, 'secret-pw-0');
    await cfs.write(`iscsi/${IQN}/tpgt_1/auth/password_mutual`, 'secret-mutual');
    const { allFiles } = await import('../../lib/stats/walk.js');
    const t = openTreeReader(node.base);
    const text = walkText(t, allFiles(t));
    expect(text).toContain(`acls/${ini(0)}/auth/userid]\nuser0\n`);
    expect(text).not.toMatch(/secret-pw-0|secret-mutual|auth\/password/);
  });
});
