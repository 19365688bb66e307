/**
 * The cluster lab's verifying writer (guest/writer.py) on a host file: it acknowledges writes, reads every
 * slot back at the end, and reports a block damaged behind its back as corrupted.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const writer = join(repo, 'test/lab/cluster/guest/writer.py');
const hasPython = spawnSync('python3', ['-c', '0']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(damage?: (disk: string) => void): Promise<Record<string, number>> {
  // O_DIRECT needs a real filesystem (tmpfs refuses it): a directory under the repo's cache
  const dir = join(repo, '.cache', `writer-test-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'disk');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 16 * 1024 * 1024);
  try {
    const p = spawn('python3', [writer, 'run', disk, join(dir, 'out')], { stdio: 'ignore' });
    const exited = new Promise((r) => p.once('exit', r));
    for (let i = 0; i < 100 && !fs.existsSync(join(dir, 'out/status.json')); i++) await sleep(100);
    await sleep(500);
    damage?.(disk);
    p.kill('SIGTERM');
    await exited;
    return JSON.parse(fs.readFileSync(join(dir, 'out/report.json'), 'utf8')) as Record<string, number>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasPython)('verifying writer (test/lab/cluster/guest/writer.py)', () => {
  it('verifies every acknowledged block', async () => {
    const r = await run();
    expect(r.acked).toBeGreaterThan(10);
    // verified counts slots (the latest acknowledged block of each); acked counts writes, which wrap around the disk.
    expect(r.verified).toBe(Math.min(r.acked!, r.slots!));
    expect([r.lost, r.corrupted, r.errors]).toEqual([0, 0, 0]);
  }, 30_000);

  it('reports a block overwritten behind its back', async () => {
    const r = await run((disk) => {
      const fd = fs.openSync(disk, 'r+');
      fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, 2 * 4096); // slot 2: written long ago, not again (16 MiB ring)
      fs.closeSync(fd);
    });
    expect(r.corrupted).toBe(1);
    expect(r.verified).toBe(Math.min(r.acked!, r.slots!) - 1);
  }, 30_000);
});
