#!/usr/bin/env node
// Dumps a LIO configfs tree (real, or the emulator's on-disk tree) in the format of
// /work/shared/reference/real-kernel/configfs-tree-6.1.txt, made comparable across the two:
//   D path            directory
//   L path -> target  symlink, target resolved to a path relative to the dumped root
//   F mode path = v   attribute: mode, first 300 bytes with newlines as '|', empty when unreadable
// Usage: dump-configfs.mjs <dir> [--root-prefix <p>]  (prints sorted lines on stdout)
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '/sys/kernel/config/target');
const lines = [];
const skip = new Set(['.lioha-emulator', '.lioha-configfs-emulator']);
function walk(abs, rel) {
  lines.push(`D ${rel}`);
  for (const name of fs.readdirSync(abs).sort()) {
    if (skip.has(name) || name.startsWith('.lioha')) continue;
    const a = path.join(abs, name);
    const r = `${rel}/${name}`;
    const st = fs.lstatSync(a);
    if (st.isSymbolicLink()) {
      const target = path.resolve(abs, fs.readlinkSync(a));
      lines.push(`L ${r} -> ${path.relative(dir, target) || '.'}`);
    } else if (st.isDirectory()) {
      walk(a, r);
    } else {
      let v = '';
      try {
        const fd = fs.openSync(a, 'r');
        try {
          const buf = Buffer.alloc(300);
          const n = fs.readSync(fd, buf, 0, 300, 0);
          v = buf.subarray(0, n).toString('latin1').replace(/\n/g, '|');
        } finally { fs.closeSync(fd); }
      } catch { v = ''; }
      lines.push(`F ${(st.mode & 0o777).toString(8)} ${r} = ${v}`);
    }
  }
}
walk(dir, '.');
process.stdout.write(lines.join('\n') + '\n');
