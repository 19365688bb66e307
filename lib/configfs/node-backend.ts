import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ConfigFsError, linkTextToRel, wireValue, type ConfigFs, type ConfigFsOp } from './io.js';

/** The real configfs, through node:fs under the agent's root. */
export class NodeConfigFs implements ConfigFs {
  readonly emulated = false;
  constructor(readonly base: string) {}

  private async wrap<T>(op: ConfigFsOp, rel: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new ConfigFsError(op, rel, code);
    }
  }
  mkdir(rel: string) { return this.wrap('mkdir', rel, () => fs.mkdir(join(this.base, rel))); }
  rmdir(rel: string) { return this.wrap('rmdir', rel, () => fs.rmdir(join(this.base, rel))); }
  symlink(targetRel: string, linkRel: string) {
    // configfs resolves the link target itself; an absolute path is what rtslib uses too.
    return this.wrap('symlink', linkRel, () => fs.symlink(join(this.base, targetRel), join(this.base, linkRel)));
  }
  unlink(rel: string) { return this.wrap('unlink', rel, () => fs.unlink(join(this.base, rel))); }
  read(rel: string) {
    return this.wrap('read', rel, async () => (await fs.readFile(join(this.base, rel), 'utf8')).replace(/\n$/, ''));
  }
  write(rel: string, value: string) {
    // One write(2): configfs calls ->store once per write.
    return this.wrap('write', rel, async () => {
      const fh = await fs.open(join(this.base, rel), 'w');
      try {
        await fh.write(wireValue(rel, value));
      } finally {
        await fh.close();
      }
    });
  }
  readdir(rel: string) { return this.wrap('readdir', rel, () => fs.readdir(join(this.base, rel))); }
  readlink(rel: string) {
    return this.wrap('readlink', rel, async () => {
      const text = await fs.readlink(join(this.base, rel));
      return text.startsWith('/') ? text.slice(this.base.length + 1) : linkTextToRel(text);
    });
  }
  async exists(rel: string) {
    try {
      await fs.lstat(join(this.base, rel));
      return true;
    } catch {
      return false;
    }
  }
}
