import { promises as fs } from 'node:fs';
import { ConfigFsError, linkTextToRel, underBase, wireValue, type ConfigFs, type ConfigFsOp } from './io.js';

/** The real configfs, through node:fs under the agent's root. */
export class NodeConfigFs implements ConfigFs {
  readonly emulated = false;
  constructor(readonly base: string) {}

  private async wrap<T>(op: ConfigFsOp, rel: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ConfigFsError) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new ConfigFsError(op, rel, code);
    }
  }
  mkdir(rel: string) { return this.wrap('mkdir', rel, () => fs.mkdir(underBase(this.base, 'mkdir', rel))); }
  rmdir(rel: string) { return this.wrap('rmdir', rel, () => fs.rmdir(underBase(this.base, 'rmdir', rel))); }
  symlink(targetRel: string, linkRel: string) {
    // configfs resolves the link target itself; an absolute path is what rtslib uses too.
    return this.wrap('symlink', linkRel, () => fs.symlink(underBase(this.base, 'symlink', targetRel), underBase(this.base, 'symlink', linkRel)));
  }
  unlink(rel: string) { return this.wrap('unlink', rel, () => fs.unlink(underBase(this.base, 'unlink', rel))); }
  read(rel: string) {
    return this.wrap('read', rel, async () => (await fs.readFile(underBase(this.base, 'read', rel), 'utf8')).replace(/\n$/, ''));
  }
  write(rel: string, value: string) {
    // One write(2): configfs calls ->store once per write.
    return this.wrap('write', rel, async () => {
      const fh = await fs.open(underBase(this.base, 'write', rel), 'w');
      try {
        await fh.write(wireValue(rel, value));
      } finally {
        await fh.close();
      }
    });
  }
  readdir(rel: string) { return this.wrap('readdir', rel, () => fs.readdir(underBase(this.base, 'readdir', rel))); }
  readlink(rel: string) {
    return this.wrap('readlink', rel, async () => {
      const text = await fs.readlink(underBase(this.base, 'readlink', rel));
      return text.startsWith('/') ? text.slice(this.base.length + 1) : linkTextToRel(text);
    });
  }
  async exists(rel: string) {
    const abs = underBase(this.base, 'exists', rel);
    try {
      await fs.lstat(abs);
      return true;
    } catch {
      return false;
    }
  }
}
