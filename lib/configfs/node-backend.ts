import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { ConfigFsError, linkTextToRel, underBase, wireValue, type ConfigFs, type ConfigFsOp } from './io.js';

/**
 * The real configfs, through node:fs under the agent's root, with synchronous
 * calls: configfs answers from memory, and an async call costs a thread-pool
 * round trip each (a 4x4 start made ~20,000 system calls, mostly futex/epoll,
 * against targetctl's ~5,500). Hang safety is bounded per process, not per
 * call: a call stuck in the kernel cannot be interrupted either way (a thread
 * in uninterruptible sleep also keeps an async agent from exiting), so the
 * operation is bounded by Pacemaker's timeout, and teardown, where hangs are
 * known, runs in an abandonable child (child-apply.ts).
 */
export class NodeConfigFs implements ConfigFs {
  readonly emulated = false;
  readonly synchronous = true;
  constructor(readonly base: string) {}

  private wrap<T>(op: ConfigFsOp, rel: string, f: () => T): Promise<T> {
    try {
      return Promise.resolve(f());
    } catch (e) {
      if (e instanceof ConfigFsError) return Promise.reject(e);
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      return Promise.reject(new ConfigFsError(op, rel, code));
    }
  }
  mkdir(rel: string) { return this.wrap('mkdir', rel, () => void mkdirSync(underBase(this.base, 'mkdir', rel))); }
  rmdir(rel: string) { return this.wrap('rmdir', rel, () => rmdirSync(underBase(this.base, 'rmdir', rel))); }
  symlink(targetRel: string, linkRel: string) {
    // configfs resolves the link target itself; an absolute path is what rtslib uses too.
    return this.wrap('symlink', linkRel, () => symlinkSync(underBase(this.base, 'symlink', targetRel), underBase(this.base, 'symlink', linkRel)));
  }
  unlink(rel: string) { return this.wrap('unlink', rel, () => unlinkSync(underBase(this.base, 'unlink', rel))); }
  read(rel: string) {
    return this.wrap('read', rel, () => readFileSync(underBase(this.base, 'read', rel), 'utf8').replace(/\n$/, ''));
  }
  write(rel: string, value: string) {
    // One write(2): configfs calls ->store once per write.
    return this.wrap('write', rel, () => {
      const fd = openSync(underBase(this.base, 'write', rel), 'w');
      try {
        writeSync(fd, wireValue(rel, value));
      } finally {
        closeSync(fd);
      }
    });
  }
  readdir(rel: string) { return this.wrap('readdir', rel, () => readdirSync(underBase(this.base, 'readdir', rel))); }
  readlink(rel: string) {
    return this.wrap('readlink', rel, () => {
      const text = readlinkSync(underBase(this.base, 'readlink', rel));
      return text.startsWith('/') ? text.slice(this.base.length + 1) : linkTextToRel(text);
    });
  }
  exists(rel: string) {
    const abs = underBase(this.base, 'exists', rel);
    try {
      lstatSync(abs);
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  }
}
